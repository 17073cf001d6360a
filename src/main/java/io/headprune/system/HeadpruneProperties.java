package io.headprune.system;

import java.nio.file.Path;
import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.util.unit.DataSize;

/**
 * headprune's settings ({@code headprune.*} in application.yml, or environment variables such as
 * {@code HEADPRUNE_ROLE}).
 *
 * @param role api, worker or both
 * @param dataDir where the embedded PostgreSQL and the artifacts live
 * @param worker the worker pool
 * @param upload limits on uploads and archives
 * @param dataset limits on datasets
 */
@ConfigurationProperties("headprune")
public record HeadpruneProperties(
    Role role, Path dataDir, Worker worker, Upload upload, Dataset dataset) {

  /** Which parts of the service run in this process. */
  public enum Role {
    API,
    WORKER,
    BOTH;

    /** Whether this process serves the REST API. */
    public boolean servesApi() {
      return this != WORKER;
    }

    /** Whether this process runs jobs. */
    public boolean runsJobs() {
      return this != API;
    }
  }

  /**
   * @param devices auto, cpu, or a list such as gpu0,gpu1: one job at a time per device
   * @param progressInterval how often a running job writes its progress
   */
  public record Worker(String devices, Duration progressInterval) {}

  /**
   * @param maxBytes largest upload
   * @param maxExpandedBytes largest total expanded size of an archive
   * @param maxEntries most entries in an archive
   * @param maxCompressionRatio largest expanded/compressed ratio of one entry
   * @param validationTimeout how long an upload's checks may take before it is refused (422)
   * @param concurrentValidations uploads validated at once (others wait their turn)
   */
  public record Upload(
      DataSize maxBytes,
      DataSize maxExpandedBytes,
      int maxEntries,
      int maxCompressionRatio,
      Duration validationTimeout,
      int concurrentValidations) {}

  /**
   * @param maxRows most rows of a dataset
   * @param maxLineChars longest line (or text) of a dataset
   */
  public record Dataset(int maxRows, int maxLineChars) {}

  /** Root of the artifact store. */
  public Path artifactDir() {
    return dataDir.resolve("artifacts");
  }
}
