package io.headprune.jobs;

import java.util.UUID;

/**
 * A stored model as the API shows it.
 *
 * @param id model id
 * @param sha256 SHA-256 of the uploaded bytes (or of the hub snapshot's weights)
 * @param architecture e.g. BertForSequenceClassification
 * @param layers number of layers
 * @param heads total attention heads
 * @param parameters number of parameters
 * @param name what the uploader calls it, or null
 * @param labels what a pipeline finds it by (key to value; empty when none)
 * @param createdAt when it was stored
 */
public record ModelView(
    UUID id,
    String sha256,
    String architecture,
    int layers,
    int heads,
    long parameters,
    @jakarta.annotation.Nullable String name,
    java.util.Map<String, String> labels,
    java.time.Instant createdAt) {

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
        entity.createdAt);
  }
}
