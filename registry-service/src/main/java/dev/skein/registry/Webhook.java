package dev.skein.registry;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;

@Entity
@Table(name = "webhooks")
public class Webhook {

    public static final String ACTIVE = "ACTIVE";
    public static final String DISABLED = "DISABLED";

    @Id
    @Column(name = "webhook_id")
    public UUID id;

    @Column(name = "name", nullable = false)
    public String name;

    @Column(name = "description")
    public String description;

    @Column(name = "url", nullable = false)
    public String url;

    /**
     * The secret that signs deliveries, encrypted (see {@code SecretCipher}): the key's id, the
     * nonce and the ciphertext; all null without a secret. Never returned by the API.
     */
    @Column(name = "secret_key_id")
    public String secretKeyId;

    @Column(name = "secret_nonce")
    public byte[] secretNonce;

    @Column(name = "secret_ciphertext")
    public byte[] secretCiphertext;

    /** Subscribed events as {@code entity.action}, comma-separated. */
    @Column(name = "events", nullable = false)
    public String events;

    @Column(name = "status", nullable = false)
    public String status;

    @Column(name = "creation_time", nullable = false)
    public long creationTime;

    @Column(name = "last_updated_time", nullable = false)
    public long lastUpdatedTime;

    public List<String> eventList() {
        return Arrays.stream(events.split(",")).filter(e -> !e.isBlank()).toList();
    }
}
