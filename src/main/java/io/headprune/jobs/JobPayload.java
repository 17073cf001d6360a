package io.headprune.jobs;

import io.headprune.checkpoint.Json;
import io.headprune.problem.InvalidInputException;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectReader;

/**
 * A job's options as stored with the queued job: the request with every default filled in, under a
 * schema version, so that a job queued by one version of headprune is run as it was asked by the
 * next. Read strictly: an unknown field is an error, not a silently dropped option; a newer schema
 * is left for a worker that reads it.
 *
 * @param schema the version of this layout ({@link #SCHEMA})
 * @param request the normalised request
 */
record JobPayload(int schema, JobRequest request) {

  /**
   * The layout this version writes: 3, with the job's name, labels and external id (2 is the same
   * without them, read as such; 1 was the bare request, without a version).
   */
  static final int SCHEMA = 3;

  private static final ObjectReader STRICT =
      Json.MAPPER
          .readerFor(JobPayload.class)
          .with(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
  private static final ObjectReader LEGACY =
      Json.MAPPER
          .readerFor(JobRequest.class)
          .with(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

  /**
   * Thrown for a payload written by a newer headprune: this worker leaves the job to one that reads
   * it.
   */
  static final class Newer extends RuntimeException {
    Newer(int schema) {
      super(
          "job options of schema "
              + schema
              + " were written by a newer headprune (this one reads up to "
              + SCHEMA
              + "); a newer worker will run the job",
          null,
          false,
          false);
    }
  }

  /** The stored form of {@code normalized}. */
  static String write(JobRequest normalized) {
    return Json.MAPPER.writeValueAsString(new JobPayload(SCHEMA, normalized));
  }

  /** The request stored as {@code json}: this schema, or a bare request of schema 1. */
  static JobRequest read(String json) {
    try {
      JsonNode tree = Json.MAPPER.readTree(json);
      if (!tree.has("schema")) {
        return LEGACY.readValue(json); // schema 1: rows queued before the version existed
      }
      int schema = tree.get("schema").asInt(-1);
      if (schema > SCHEMA) {
        throw new Newer(schema);
      }
      if (schema != SCHEMA && schema != 2) {
        throw new InvalidInputException(
            "stored job options have an unknown schema " + tree.get("schema"));
      }
      JobPayload payload = STRICT.readValue(json);
      if (payload.request() == null) {
        throw new InvalidInputException(
            "stored job options of schema " + SCHEMA + " hold no request");
      }
      return payload.request();
    } catch (JacksonException e) {
      throw new InvalidInputException(
          "stored job options cannot be read: " + e.getOriginalMessage());
    }
  }
}
