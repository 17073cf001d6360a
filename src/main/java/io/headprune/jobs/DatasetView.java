package io.headprune.jobs;

import io.headprune.checkpoint.Json;
import jakarta.annotation.Nullable;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * A stored dataset as the API shows it.
 *
 * @param id dataset id
 * @param sha256 the dataset's identity: SHA-256 of its bytes (a text file); an image dataset: of
 *     its files' sorted (path, SHA-256) list, so the same files archived anew are the same dataset
 * @param rows number of rows (a Hub split: the rows read of it)
 * @param format jsonl, json, csv, tsv (each maybe .gz or .zst), parquet, images, or split (a Hub
 *     split's shards)
 * @param origin where a Hub split came from, or null for an upload
 * @param name what the uploader calls it, or null
 * @param labels what a pipeline finds it by (key to value; empty when none)
 * @param createdAt when it was stored
 */
public record DatasetView(
    UUID id,
    String sha256,
    int rows,
    String format,
    @Nullable HubOrigin origin,
    @Nullable String name,
    Map<String, String> labels,
    Instant createdAt) {

  /**
   * A Hub split as it was resolved and downloaded.
   *
   * @param repo datasets/org/name
   * @param revision the revision asked for
   * @param commit the commit its files were read at
   * @param source where the layout came from: card (configs YAML), layout (file names) or parquet
   *     (the Hub's Parquet conversion, refs/convert/parquet)
   * @param config the config
   * @param split the split
   * @param files the split's files downloaded, in order
   * @param splitFiles how many files the split has
   * @param bytes bytes downloaded
   * @param labelNames class_label names by column, from the card
   */
  public record HubOrigin(
      String repo,
      String revision,
      String commit,
      String source,
      String config,
      String split,
      List<String> files,
      int splitFiles,
      long bytes,
      Map<String, List<String>> labelNames) {}

  static DatasetView of(DatasetEntity entity) {
    return new DatasetView(
        entity.id,
        entity.sha256,
        entity.rows,
        entity.format,
        entity.origin == null ? null : Json.MAPPER.readValue(entity.origin, HubOrigin.class),
        entity.name,
        ResourceLabels.read(entity.labels),
        entity.createdAt);
  }
}
