package io.headprune.jobs;

import java.util.UUID;

/**
 * A stored dataset as the API shows it.
 *
 * @param id dataset id
 * @param sha256 SHA-256 of the uploaded bytes
 * @param rows number of examples
 */
public record DatasetView(UUID id, String sha256, int rows) {

  static DatasetView of(DatasetEntity entity) {
    return new DatasetView(entity.id, entity.sha256, entity.rows);
  }
}
