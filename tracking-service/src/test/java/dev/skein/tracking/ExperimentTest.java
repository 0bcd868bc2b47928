package dev.skein.tracking;

import static dev.skein.tracking.Grpc.fails;
import static dev.skein.tracking.Grpc.newExperiment;
import static dev.skein.tracking.Grpc.newRun;
import static org.assertj.core.api.Assertions.assertThat;

import dev.skein.proto.common.v1.ErrorCode;
import dev.skein.proto.tracking.v1.CreateExperiment;
import dev.skein.proto.tracking.v1.DeleteExperiment;
import dev.skein.proto.tracking.v1.DeleteExperimentTag;
import dev.skein.proto.tracking.v1.Experiment;
import dev.skein.proto.tracking.v1.ExperimentTag;
import dev.skein.proto.tracking.v1.GetExperiment;
import dev.skein.proto.tracking.v1.GetExperimentByName;
import dev.skein.proto.tracking.v1.RestoreExperiment;
import dev.skein.proto.tracking.v1.SearchExperiments;
import dev.skein.proto.tracking.v1.SetExperimentTag;
import dev.skein.proto.tracking.v1.TrackingServiceGrpc.TrackingServiceBlockingStub;
import dev.skein.proto.tracking.v1.UpdateExperiment;
import dev.skein.proto.tracking.v1.ViewType;
import io.quarkus.grpc.GrpcClient;
import io.quarkus.test.junit.QuarkusTest;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;

@QuarkusTest
class ExperimentTest {

    @GrpcClient("tracking")
    TrackingServiceBlockingStub tracking;

    private Experiment get(String id) {
        return tracking.getExperiment(
                        GetExperiment.newBuilder().setExperimentId(id).build())
                .getExperiment();
    }

    @Test
    void shouldHaveTheDefaultExperimentFromTheStart() {
        Experiment e = get("0");
        assertThat(e.getName()).isEqualTo("Default");
        assertThat(e.getArtifactLocation()).isEqualTo("mlflow-artifacts:/0");
        assertThat(e.getLifecycleStage()).isEqualTo("active");
    }

    @Test
    void shouldCreateExperimentWithTagsAndDefaultArtifactLocation() {
        String name = "exp-" + UUID.randomUUID();
        String id = tracking.createExperiment(CreateExperiment.newBuilder()
                        .setName(name)
                        .addTags(ExperimentTag.newBuilder().setKey("team").setValue("vision"))
                        .build())
                .getExperimentId();
        Experiment e = get(id);
        assertThat(e.getName()).isEqualTo(name);
        assertThat(e.getArtifactLocation()).isEqualTo("mlflow-artifacts:/" + id);
        assertThat(e.getTagsList())
                .containsExactly(ExperimentTag.newBuilder()
                        .setKey("team")
                        .setValue("vision")
                        .build());
        assertThat(e.getCreationTime()).isPositive().isEqualTo(e.getLastUpdateTime());
        Experiment byName = tracking.getExperimentByName(
                        GetExperimentByName.newBuilder().setExperimentName(name).build())
                .getExperiment();
        assertThat(byName).isEqualTo(e);
    }

    @Test
    void shouldGiveRunsOfAnS3ExperimentS3ArtifactUris() {
        String id = tracking.createExperiment(CreateExperiment.newBuilder()
                        .setName("exp-" + UUID.randomUUID())
                        .setArtifactLocation("s3://bucket/prefix/")
                        .build())
                .getExperimentId();
        String run = newRun(tracking, id);
        assertThat(Grpc.getRun(tracking, run).getInfo().getArtifactUri())
                .isEqualTo("s3://bucket/prefix/" + run + "/artifacts");
    }

    @Test
    void shouldRefuseDuplicateNamesAndBadNames() {
        String name = "exp-" + UUID.randomUUID();
        tracking.createExperiment(CreateExperiment.newBuilder().setName(name).build());
        assertThat(fails(
                        ErrorCode.RESOURCE_ALREADY_EXISTS,
                        () -> tracking.createExperiment(
                                CreateExperiment.newBuilder().setName(name).build())))
                .contains(name);
        assertThat(fails(
                        ErrorCode.INVALID_PARAMETER_VALUE,
                        () -> tracking.createExperiment(CreateExperiment.getDefaultInstance())))
                .contains("Missing value for required parameter 'name'");
        fails(
                ErrorCode.INVALID_PARAMETER_VALUE,
                () -> tracking.createExperiment(
                        CreateExperiment.newBuilder().setName("x".repeat(501)).build()));
        fails(
                ErrorCode.INVALID_PARAMETER_VALUE,
                () -> tracking.createExperiment(CreateExperiment.newBuilder()
                        .setName("exp-" + UUID.randomUUID())
                        .setArtifactLocation("runs:/abc")
                        .build()));
    }

    @Test
    void shouldAnswerNotFoundForUnknownExperiments() {
        assertThat(fails(ErrorCode.RESOURCE_DOES_NOT_EXIST, () -> get("987654321")))
                .isEqualTo("No Experiment with id=987654321 exists");
        fails(ErrorCode.RESOURCE_DOES_NOT_EXIST, () -> get("not-a-number"));
        fails(ErrorCode.INVALID_PARAMETER_VALUE, () -> get("bad id!"));
        assertThat(fails(
                        ErrorCode.RESOURCE_DOES_NOT_EXIST,
                        () -> tracking.getExperimentByName(GetExperimentByName.newBuilder()
                                .setExperimentName("no such experiment")
                                .build())))
                .isEqualTo("Could not find experiment with name 'no such experiment'");
    }

    @Test
    void shouldRenameKeepingNamesUnique() {
        String id = newExperiment(tracking);
        String other = get(newExperiment(tracking)).getName();
        String newName = "renamed-" + UUID.randomUUID();
        tracking.updateExperiment(UpdateExperiment.newBuilder()
                .setExperimentId(id)
                .setNewName(newName)
                .build());
        assertThat(get(id).getName()).isEqualTo(newName);
        fails(
                ErrorCode.RESOURCE_ALREADY_EXISTS,
                () -> tracking.updateExperiment(UpdateExperiment.newBuilder()
                        .setExperimentId(id)
                        .setNewName(other)
                        .build()));
        assertThat(get(id).getName()).isEqualTo(newName);
    }

    @Test
    void shouldDeleteAndRestoreExperimentWithItsRuns() {
        String id = newExperiment(tracking);
        String run = newRun(tracking, id);
        tracking.deleteExperiment(
                DeleteExperiment.newBuilder().setExperimentId(id).build());
        assertThat(get(id).getLifecycleStage()).isEqualTo("deleted");
        assertThat(Grpc.getRun(tracking, run).getInfo().getLifecycleStage()).isEqualTo("deleted");
        fails(ErrorCode.INVALID_PARAMETER_VALUE, () -> newRun(tracking, id));
        fails(
                ErrorCode.INVALID_PARAMETER_VALUE,
                () -> tracking.updateExperiment(UpdateExperiment.newBuilder()
                        .setExperimentId(id)
                        .setNewName("x-" + UUID.randomUUID())
                        .build()));

        tracking.restoreExperiment(
                RestoreExperiment.newBuilder().setExperimentId(id).build());
        assertThat(get(id).getLifecycleStage()).isEqualTo("active");
        assertThat(Grpc.getRun(tracking, run).getInfo().getLifecycleStage()).isEqualTo("active");
    }

    @Test
    void shouldSetOverwriteAndDeleteExperimentTags() {
        String id = newExperiment(tracking);
        tracking.setExperimentTag(SetExperimentTag.newBuilder()
                .setExperimentId(id)
                .setKey("k")
                .setValue("1")
                .build());
        tracking.setExperimentTag(SetExperimentTag.newBuilder()
                .setExperimentId(id)
                .setKey("k")
                .setValue("2\nlines")
                .build());
        assertThat(get(id).getTagsList()).extracting(ExperimentTag::getValue).containsExactly("2\nlines");
        tracking.deleteExperimentTag(
                DeleteExperimentTag.newBuilder().setExperimentId(id).setKey("k").build());
        assertThat(get(id).getTagsList()).isEmpty();
        fails(
                ErrorCode.RESOURCE_DOES_NOT_EXIST,
                () -> tracking.deleteExperimentTag(DeleteExperimentTag.newBuilder()
                        .setExperimentId(id)
                        .setKey("k")
                        .build()));
        fails(
                ErrorCode.INVALID_PARAMETER_VALUE,
                () -> tracking.setExperimentTag(SetExperimentTag.newBuilder()
                        .setExperimentId(id)
                        .setKey("k")
                        .setValue("v".repeat(5001))
                        .build()));
    }

    @Test
    void shouldSearchByNameAndTagsWithOrderingPagingAndViewTypes() {
        String prefix = "search-" + UUID.randomUUID() + "-";
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            ids.add(tracking.createExperiment(CreateExperiment.newBuilder()
                            .setName(prefix + i)
                            .addTags(ExperimentTag.newBuilder().setKey("parity").setValue(i % 2 == 0 ? "even" : "odd"))
                            .build())
                    .getExperimentId());
        }
        tracking.deleteExperiment(
                DeleteExperiment.newBuilder().setExperimentId(ids.get(4)).build());

        SearchExperiments.Response evens = tracking.searchExperiments(SearchExperiments.newBuilder()
                .setFilter("name LIKE '" + prefix + "%' AND tags.parity = 'even'")
                .addOrderBy("name DESC")
                .build());
        assertThat(evens.getExperimentsList()).extracting(Experiment::getName).containsExactly(prefix + 2, prefix + 0);
        assertThat(evens.hasNextPageToken()).isFalse();

        SearchExperiments.Response deleted = tracking.searchExperiments(SearchExperiments.newBuilder()
                .setFilter("attribute.name ILIKE '" + prefix.toUpperCase() + "%'")
                .setViewType(ViewType.DELETED_ONLY)
                .build());
        assertThat(deleted.getExperimentsList()).extracting(Experiment::getName).containsExactly(prefix + 4);

        List<String> paged = new ArrayList<>();
        SearchExperiments.Builder request = SearchExperiments.newBuilder()
                .setFilter("name LIKE '" + prefix + "%'")
                .setViewType(ViewType.ALL)
                .addOrderBy("name")
                .setMaxResults(2);
        while (true) {
            SearchExperiments.Response page = tracking.searchExperiments(request.build());
            page.getExperimentsList().forEach(e -> paged.add(e.getName()));
            if (!page.hasNextPageToken()) {
                break;
            }
            request.setPageToken(page.getNextPageToken());
        }
        assertThat(paged).containsExactly(prefix + 0, prefix + 1, prefix + 2, prefix + 3, prefix + 4);
    }

    @Test
    void shouldKeepEveryPageStableWhileExperimentsAreCreated() {
        String prefix = "stable-" + UUID.randomUUID() + "-";
        for (int i = 0; i < 5; i++) {
            tracking.createExperiment(
                    CreateExperiment.newBuilder().setName(prefix + i).build());
        }
        SearchExperiments.Builder request = SearchExperiments.newBuilder()
                .setFilter("name LIKE '" + prefix + "%'")
                .addOrderBy("name DESC")
                .setMaxResults(2);
        List<String> seen = new ArrayList<>();
        SearchExperiments.Response page = tracking.searchExperiments(request.build());
        page.getExperimentsList().forEach(e -> seen.add(e.getName()));
        for (int i = 8; i < 10; i++) { // created while the client pages, sorting before what it has seen
            tracking.createExperiment(
                    CreateExperiment.newBuilder().setName(prefix + i).build());
        }
        while (page.hasNextPageToken()) {
            page = tracking.searchExperiments(
                    request.setPageToken(page.getNextPageToken()).build());
            page.getExperimentsList().forEach(e -> seen.add(e.getName()));
        }
        assertThat(seen).containsExactly(prefix + 4, prefix + 3, prefix + 2, prefix + 1, prefix + 0);
        assertThat(tracking.searchExperiments(request.clearPageToken().build()).getExperimentsList())
                .extracting(Experiment::getName)
                .containsExactly(prefix + 9, prefix + 8);
    }

    @Test
    void shouldOrderNewestFirstByDefault() {
        String prefix = "order-" + UUID.randomUUID() + "-";
        for (int i = 0; i < 3; i++) {
            tracking.createExperiment(
                    CreateExperiment.newBuilder().setName(prefix + i).build());
        }
        var found = tracking.searchExperiments(SearchExperiments.newBuilder()
                .setFilter("name LIKE '" + prefix + "%'")
                .build());
        assertThat(found.getExperimentsList())
                .extracting(Experiment::getName)
                .containsExactly(prefix + 2, prefix + 1, prefix + 0);
    }

    @Test
    void shouldRefuseBadSearchRequests() {
        fails(
                ErrorCode.INVALID_PARAMETER_VALUE,
                () -> tracking.searchExperiments(
                        SearchExperiments.newBuilder().setMaxResults(0).build()));
        fails(
                ErrorCode.INVALID_PARAMETER_VALUE,
                () -> tracking.searchExperiments(
                        SearchExperiments.newBuilder().setMaxResults(50_001).build()));
        fails(
                ErrorCode.INVALID_PARAMETER_VALUE,
                () -> tracking.searchExperiments(SearchExperiments.newBuilder()
                        .setFilter("metrics.a > 1")
                        .build()));
        fails(
                ErrorCode.INVALID_PARAMETER_VALUE,
                () -> tracking.searchExperiments(
                        SearchExperiments.newBuilder().setPageToken("garbage").build()));
        assertThat(fails(
                        ErrorCode.INVALID_PARAMETER_VALUE,
                        () -> tracking.searchExperiments(SearchExperiments.newBuilder()
                                .setFilter("colour = 'red'")
                                .build())))
                .contains("colour");
    }
}
