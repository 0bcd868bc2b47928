package dev.skein.evaluation.output;

import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;

/** Numbers as Python prints them: {@code repr(float)} (what pandas writes to CSV), {@code :.3f} and {@code :.2g}. */
final class PythonFormat {

    private PythonFormat() {}

    /**
     * {@code repr(x)}: the shortest decimal that reads back as x, fixed-point when its exponent is in
     * [-4, 16), else {@code 1.5e-05} / {@code 1e+16}; {@code nan}, {@code inf}, {@code -0.0} as Python writes
     * them. Java's {@code Double.toString} differs ({@code 1.0E-5}, and before Java 19 not always the shortest).
     */
    static String repr(double x) {
        if (Double.isNaN(x)) {
            return "nan";
        }
        if (Double.isInfinite(x)) {
            return x > 0 ? "inf" : "-inf";
        }
        if (x == 0) {
            return 1 / x < 0 ? "-0.0" : "0.0";
        }
        BigDecimal exact = new BigDecimal(x);
        BigDecimal shortest = exact;
        for (int digits = 1; digits <= 17; digits++) {
            BigDecimal candidate = exact.round(new MathContext(digits, RoundingMode.HALF_EVEN));
            if (candidate.doubleValue() == x) {
                shortest = candidate;
                break;
            }
        }
        shortest = shortest.stripTrailingZeros();
        String digits = shortest.unscaledValue().abs().toString();
        int exponent = digits.length() - 1 - shortest.scale();
        String sign = x < 0 ? "-" : "";
        if (exponent < -4 || exponent >= 16) {
            String mantissa = digits.length() == 1 ? digits : digits.charAt(0) + "." + digits.substring(1);
            return sign + mantissa + "e" + (exponent < 0 ? "-" : "+") + String.format("%02d", Math.abs(exponent));
        }
        if (exponent < 0) {
            return sign + "0." + "0".repeat(-exponent - 1) + digits;
        }
        if (digits.length() <= exponent + 1) {
            return sign + digits + "0".repeat(exponent + 1 - digits.length()) + ".0";
        }
        return sign + digits.substring(0, exponent + 1) + "." + digits.substring(exponent + 1);
    }

    /** {@code f"{x:.3f}"}: the exact binary value rounded half-even, as Python rounds it. */
    static String fixed3(double x) {
        if (!Double.isFinite(x)) {
            return repr(x);
        }
        return new BigDecimal(x).setScale(3, RoundingMode.HALF_EVEN).toPlainString();
    }

    /**
     * {@code format(x, ".2g")}, what matplotlib's ConfusionMatrixDisplay writes in a cell: two significant
     * digits, trailing zeros dropped, scientific below 1e-4 and from 100 on.
     */
    static String general2(double x) {
        if (!Double.isFinite(x)) {
            return repr(x);
        }
        if (x == 0) {
            return 1 / x < 0 ? "-0" : "0";
        }
        BigDecimal rounded = new BigDecimal(x).round(new MathContext(2, RoundingMode.HALF_EVEN));
        BigDecimal stripped = rounded.stripTrailingZeros();
        String digits = stripped.unscaledValue().abs().toString();
        int exponent = digits.length() - 1 - stripped.scale();
        String sign = x < 0 ? "-" : "";
        if (exponent < -4 || exponent >= 2) {
            String mantissa = digits.length() == 1 ? digits : digits.charAt(0) + "." + digits.substring(1);
            return sign + mantissa + "e" + (exponent < 0 ? "-" : "+") + String.format("%02d", Math.abs(exponent));
        }
        return sign + stripped.abs().toPlainString();
    }
}
