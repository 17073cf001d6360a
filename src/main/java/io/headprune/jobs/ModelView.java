package io.headprune.jobs;

import jakarta.annotation.Nullable;
import java.time.Instant;
import java.util.Map;
import java.util.UUID;

/**
 * A stored model as the API shows it.
 *
 * @param id model id
 * @param sha256 the model's identity: SHA-256 of its files' sorted (path, SHA-256) list (models
 *     stored before version 15 of the schema: of their archive; a Hub snapshot: of its weights)
 * @param architecture e.g. BertForSequenceClassification
 * @param layers number of layers
 * @param heads total attention heads
 * @param parameters number of parameters
 * @param name what the uploader calls it, or null
 * @param labels what a pipeline finds it by (key to value; empty when none)
 * @param createdAt when it was stored
 * @param archiveSha256 SHA-256 of the archive it was first uploaded as (null: from the Hub)
 */
public record ModelView(
    UUID id,
    String sha256,
    String architecture,
    int layers,
    int heads,
    long parameters,
    @Nullable String name,
    Map<String, String> labels,
    Instant createdAt,
    @Nullable String archiveSha256) {

  static ModelView of(ModelEntity entity) {
    return new ModelView(
        entity.id,
        entity.sha256,
        entity.architecture,
        entity.layers,
        entity.heads,
        entity.parameters,
        entity.name,
        ResourceLabels.read(entity.labels),
        entity.createdAt,
        entity.archiveSha256);
  }
}
