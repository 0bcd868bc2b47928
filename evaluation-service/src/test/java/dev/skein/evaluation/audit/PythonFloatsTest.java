package dev.skein.evaluation.audit;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Values in MLflow's messages print as Python prints a float. */
class PythonFloatsTest {

    @Test
    void shouldPrintAsPythonsStrOfAFloat() {
        assertThat(PythonFloats.repr(0.8)).isEqualTo("0.8");
        assertThat(PythonFloats.repr(1.0)).isEqualTo("1.0");
        assertThat(PythonFloats.repr(-2.5)).isEqualTo("-2.5");
        assertThat(PythonFloats.repr(100.0)).isEqualTo("100.0");
        assertThat(PythonFloats.repr(0.0001)).isEqualTo("0.0001");
        assertThat(PythonFloats.repr(0.00001)).isEqualTo("1e-05");
        assertThat(PythonFloats.repr(1e-10)).isEqualTo("1e-10");
        assertThat(PythonFloats.repr(1.5e-7)).isEqualTo("1.5e-07");
        assertThat(PythonFloats.repr(1e15)).isEqualTo("1000000000000000.0");
        assertThat(PythonFloats.repr(1e16)).isEqualTo("1e+16");
        assertThat(PythonFloats.repr(1.7976931348623157e308)).isEqualTo("1.7976931348623157e+308");
        assertThat(PythonFloats.repr(0.1 + 0.2)).isEqualTo("0.30000000000000004");
        assertThat(PythonFloats.repr(2.0 / 3)).isEqualTo("0.6666666666666666");
        // where Java would print 1.0E23 and 1.0E-5
        assertThat(PythonFloats.repr(1e23)).isEqualTo("1e+23");
        assertThat(PythonFloats.repr(2e-3)).isEqualTo("0.002");
        assertThat(PythonFloats.repr(Double.MIN_VALUE)).isEqualTo("5e-324");
        assertThat(PythonFloats.repr(Double.NaN)).isEqualTo("nan");
        assertThat(PythonFloats.repr(Double.NEGATIVE_INFINITY)).isEqualTo("-inf");
        assertThat(PythonFloats.repr(-0.0)).isEqualTo("-0.0");
    }
}
