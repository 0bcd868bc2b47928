package dev.skein.tracking.grpc;

import dev.skein.proto.tracking.v1.DatasetInput;
import dev.skein.proto.tracking.v1.Experiment;
import dev.skein.proto.tracking.v1.ExperimentTag;
import dev.skein.proto.tracking.v1.InputTag;
import dev.skein.proto.tracking.v1.Metric;
import dev.skein.proto.tracking.v1.MetricWithRunId;
import dev.skein.proto.tracking.v1.ModelInput;
import dev.skein.proto.tracking.v1.ModelOutput;
import dev.skein.proto.tracking.v1.Param;
import dev.skein.proto.tracking.v1.Run;
import dev.skein.proto.tracking.v1.RunData;
import dev.skein.proto.tracking.v1.RunInfo;
import dev.skein.proto.tracking.v1.RunInputs;
import dev.skein.proto.tracking.v1.RunOutputs;
import dev.skein.proto.tracking.v1.RunStatus;
import dev.skein.proto.tracking.v1.RunTag;
import dev.skein.tracking.Dataset;
import dev.skein.tracking.DatasetSummary;
import dev.skein.tracking.ExperimentView;
import dev.skein.tracking.KeyValue;
import dev.skein.tracking.MetricPoint;
import dev.skein.tracking.RunView;
import dev.skein.tracking.ViewType;
import dev.skein.tracking.service.RunDataService.MetricInput;
import java.util.List;

/** The one place where tracking's domain and its proto contract meet. */
final class ProtoMapper {

    private ProtoMapper() {}

    // ------------------------------------------------------------------------------------------
    // domain -> proto

    static Experiment experiment(ExperimentView view) {
        var e = view.experiment();
        Experiment.Builder b = Experiment.newBuilder()
                .setExperimentId(Long.toString(e.id))
                .setName(e.name)
                .setArtifactLocation(e.artifactLocation)
                .setLifecycleStage(e.lifecycleStage)
                .setLastUpdateTime(e.lastUpdateTime)
                .setCreationTime(e.creationTime);
        for (KeyValue t : view.tags()) {
            b.addTags(ExperimentTag.newBuilder().setKey(t.key()).setValue(t.value()));
        }
        return b.build();
    }

    static RunInfo runInfo(dev.skein.tracking.Run r) {
        RunInfo.Builder b = RunInfo.newBuilder()
                .setRunId(r.runUuid)
                .setRunUuid(r.runUuid)
                .setExperimentId(Long.toString(r.experimentId))
                .setStatus(RunStatus.valueOf(r.status))
                .setArtifactUri(r.artifactUri)
                .setLifecycleStage(r.lifecycleStage);
        if (r.name != null) {
            b.setRunName(r.name);
        }
        if (r.userId != null) {
            b.setUserId(r.userId);
        }
        if (r.startTime != null) {
            b.setStartTime(r.startTime);
        }
        if (r.endTime != null) {
            b.setEndTime(r.endTime);
        }
        return b.build();
    }

    static Run run(RunView view) {
        RunData.Builder data = RunData.newBuilder();
        view.metrics().forEach(m -> data.addMetrics(metric(m)));
        view.params()
                .forEach(p -> data.addParams(Param.newBuilder().setKey(p.key()).setValue(p.value())));
        view.tags()
                .forEach(t -> data.addTags(RunTag.newBuilder().setKey(t.key()).setValue(t.value())));
        RunInputs.Builder inputs = RunInputs.newBuilder();
        view.inputs().forEach(d -> inputs.addDatasetInputs(datasetInput(d)));
        view.modelInputs()
                .forEach(id -> inputs.addModelInputs(ModelInput.newBuilder().setModelId(id)));
        RunOutputs.Builder outputs = RunOutputs.newBuilder();
        view.modelOutputs()
                .forEach(o -> outputs.addModelOutputs(
                        ModelOutput.newBuilder().setModelId(o.modelId()).setStep(o.step())));
        Run.Builder b =
                Run.newBuilder().setInfo(runInfo(view.run())).setData(data).setInputs(inputs);
        if (!view.modelOutputs().isEmpty()) {
            b.setOutputs(outputs); // absent when empty, as MLflow answers for runs without outputs
        }
        return b.build();
    }

    static Metric metric(MetricPoint m) {
        return Metric.newBuilder()
                .setKey(m.key())
                .setValue(m.value())
                .setTimestamp(m.timestamp())
                .setStep(m.step())
                .build();
    }

    static MetricWithRunId metric(String runId, MetricPoint m) {
        return MetricWithRunId.newBuilder()
                .setKey(m.key())
                .setValue(m.value())
                .setTimestamp(m.timestamp())
                .setStep(m.step())
                .setRunId(runId)
                .build();
    }

    static dev.skein.proto.tracking.v1.DatasetSummary datasetSummary(DatasetSummary d) {
        var b = dev.skein.proto.tracking.v1.DatasetSummary.newBuilder()
                .setExperimentId(Long.toString(d.experimentId()))
                .setName(d.name())
                .setDigest(d.digest());
        if (d.context() != null) {
            b.setContext(d.context());
        }
        return b.build();
    }

    private static DatasetInput datasetInput(Dataset d) {
        var dataset = dev.skein.proto.tracking.v1.Dataset.newBuilder()
                .setName(d.name())
                .setDigest(d.digest())
                .setSourceType(d.sourceType())
                .setSource(d.source());
        if (d.schema() != null) {
            dataset.setSchema(d.schema());
        }
        if (d.profile() != null) {
            dataset.setProfile(d.profile());
        }
        DatasetInput.Builder b = DatasetInput.newBuilder().setDataset(dataset);
        d.tags().forEach(t -> b.addTags(InputTag.newBuilder().setKey(t.key()).setValue(t.value())));
        return b.build();
    }

    // ------------------------------------------------------------------------------------------
    // proto -> domain (absent fields become null, for the services to judge)

    static String runId(boolean hasRunId, String runId, boolean hasRunUuid, String runUuid) {
        if (hasRunId && !runId.isEmpty()) {
            return runId;
        }
        return hasRunUuid && !runUuid.isEmpty() ? runUuid : null;
    }

    static List<KeyValue> experimentTags(List<ExperimentTag> tags) {
        return tags.stream()
                .map(t -> new KeyValue(t.hasKey() ? t.getKey() : null, t.hasValue() ? t.getValue() : null))
                .toList();
    }

    static List<KeyValue> runTags(List<RunTag> tags) {
        return tags.stream()
                .map(t -> new KeyValue(t.hasKey() ? t.getKey() : null, t.hasValue() ? t.getValue() : null))
                .toList();
    }

    static List<KeyValue> params(List<Param> params) {
        return params.stream()
                .map(p -> new KeyValue(p.hasKey() ? p.getKey() : null, p.hasValue() ? p.getValue() : null))
                .toList();
    }

    static List<MetricInput> metrics(List<Metric> metrics) {
        return metrics.stream()
                .map(m -> new MetricInput(
                        m.hasKey() ? m.getKey() : null,
                        m.hasValue() ? m.getValue() : null,
                        m.hasTimestamp() ? m.getTimestamp() : null,
                        m.getStep(),
                        m.hasModelId() ? m.getModelId() : null,
                        m.hasDatasetName() ? m.getDatasetName() : null,
                        m.hasDatasetDigest() ? m.getDatasetDigest() : null))
                .toList();
    }

    static List<Dataset> datasets(List<DatasetInput> inputs) {
        return inputs.stream()
                .map(in -> {
                    var d = in.getDataset();
                    return new Dataset(
                            d.hasName() ? d.getName() : null,
                            d.hasDigest() ? d.getDigest() : null,
                            d.hasSourceType() ? d.getSourceType() : null,
                            d.hasSource() ? d.getSource() : null,
                            d.hasSchema() ? d.getSchema() : null,
                            d.hasProfile() ? d.getProfile() : null,
                            in.getTagsList().stream()
                                    .map(t -> new KeyValue(
                                            t.hasKey() ? t.getKey() : null, t.hasValue() ? t.getValue() : null))
                                    .toList());
                })
                .toList();
    }

    static ViewType viewType(dev.skein.proto.tracking.v1.ViewType viewType) {
        return ViewType.valueOf(viewType.name());
    }

    static <T> T optional(boolean present, T value) {
        return present ? value : null;
    }
}
