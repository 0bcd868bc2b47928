package dev.skein.common.search;

import java.util.List;

/**
 * One clause of a filter: {@code <field> <op> <value>}. Exactly one of {@code text}, {@code number}
 * and {@code list} is set, as the operator and field require.
 *
 * @param op one of {@code = != > >= < <= LIKE ILIKE IN NOT IN}
 */
public record Comparison(Field field, String op, String text, Double number, List<String> list) {}
