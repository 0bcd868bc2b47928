package dev.skein.tracking;

/** Which lifecycle stages a search or listing covers (MLflow's ViewType). */
public enum ViewType {
    ACTIVE_ONLY("active"),
    DELETED_ONLY("deleted"),
    ALL("active", "deleted");

    private final String[] stages;

    ViewType(String... stages) {
        this.stages = stages;
    }

    public String[] stages() {
        return stages.clone();
    }
}
