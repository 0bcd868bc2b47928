// Templates as MLflow's prompt registry reads them (and registry-service's render): `{{ name }}` with a name of
// letters, digits and `_` not starting with a digit, dotted parts allowed, spaces inside the braces allowed.

const VARIABLE = /\{\{\s*([a-zA-Z_][a-zA-Z0-9_]*(?:\.[a-zA-Z_][a-zA-Z0-9_]*)*)\s*\}\}/g;

/** The variables a template uses, each once, in order of first use. */
export function variablesOf(template) {
  const seen = [];
  for (const m of String(template || '').matchAll(VARIABLE)) {
    if (!seen.includes(m[1])) seen.push(m[1]);
  }
  return seen;
}

/** A row's own value of a variable (never an inherited member such as {{constructor}}'s); undefined if none. */
export function valueOf(values, name) {
  return Object.hasOwn(values, name) ? values[name] : undefined;
}

/**
 * The template with every variable replaced by its value as given (a value is never read as a template again); only
 * the row's own values count ({{constructor}} is a variable like any other, not an object's inherited member).
 */
export function render(template, values) {
  return String(template || '').replace(VARIABLE, (whole, name) => (Object.hasOwn(values, name) ? String(values[name]) : whole));
}

/**
 * What keeps the rows from being run: for each row (1-based) the variables with no value (blank counts as none),
 * as sentences naming them; empty when every row has every value.
 */
export function missingValues(variables, rows) {
  const problems = [];
  rows.forEach((row, i) => {
    const missing = variables.filter((v) => !Object.hasOwn(row, v) || !String(row[v] ?? '').trim());
    if (missing.length) {
      problems.push(`Row ${i + 1} has no value for ${missing.map((v) => `{{${v}}}`).join(', ')}.`);
    }
  });
  return problems;
}
