package dev.skein.artifacts.service;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class MimeTypesTest {

    @ParameterizedTest
    @CsvSource({
        // MLflow's test_mime_type_for_download_artifacts_api table
        "a.txt, text/plain",
        "b.pkl, application/octet-stream",
        "c.png, image/png",
        "d.pdf, application/pdf",
        "MLmodel, text/plain",
        "mlproject, text/plain",
        // MLflow compares the extension-less name case-sensitively: its list has 'mlproject' only
        "MLproject, application/octet-stream",
        // MLflow's text list wins over the table; the table is tried as written, then lower case
        "conf.yaml, text/plain",
        "metrics.csv, text/plain",
        "A.TXT, text/plain",
        "a.JSON, application/json",
        "photo.JPG, image/jpeg",
        // compression suffixes are looked through, as Python's mimetypes does
        "data.tar.gz, application/x-tar",
        "data.tgz, application/x-tar",
        "data.gz, application/octet-stream",
        "model.onnx, application/octet-stream",
        ".bashrc, application/octet-stream",
        "a., application/octet-stream",
        // what a browser would render or run is sent as text
        "index.html, text/plain",
        "plot.svg, text/plain",
        "plot.svgz, text/plain",
        "app.js, text/plain",
    })
    void typesFollowMlflow(String name, String type) {
        assertThat(MimeTypes.of(name)).isEqualTo(type);
    }
}
