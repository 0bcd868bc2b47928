-- Events this service has consumed from other services' topics, by consumer and event id (the
-- CloudEvent id), written in the transaction of what the event changed: a record Kafka delivers
-- again finds its id here and changes nothing. One row per event consumed; kept, like the audit
-- trail the events led to.
CREATE TABLE consumed_events (
    consumer    TEXT   NOT NULL,
    event_id    TEXT   NOT NULL,
    consumed_at BIGINT NOT NULL,
    PRIMARY KEY (consumer, event_id)
);
