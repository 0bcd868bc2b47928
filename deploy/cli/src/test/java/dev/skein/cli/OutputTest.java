package dev.skein.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.LongNode;
import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;

class OutputTest {

    @Test
    void shouldAlignTableColumns() {
        String table = new Output.Table("ID", "NAME")
                .row("1", "Default")
                .row("12", "x")
                .render();
        assertThat(table).isEqualTo("ID  NAME\n1   Default\n12  x\n");
    }

    @Test
    void shouldPrintJsonWhenAskedAndTablesOtherwise() {
        StringWriter text = new StringWriter();
        var json = Api.object().put("experiment_id", "7");
        new Output(Output.Format.json, new PrintWriter(text)).print(json, new Output.Table("ID").row("7"));
        assertThat(text.toString()).contains("\"experiment_id\" : \"7\"");
        StringWriter table = new StringWriter();
        new Output(Output.Format.table, new PrintWriter(table)).print(json, new Output.Table("ID").row("7"));
        assertThat(table.toString()).isEqualTo("ID\n7\n");
    }

    @Test
    void shouldShowTimesInUtc() {
        assertThat(Output.time(LongNode.valueOf(1_700_000_000_000L))).isEqualTo("2023-11-14 22:13:20");
        assertThat(Output.time(LongNode.valueOf(0))).isEmpty();
    }
}
