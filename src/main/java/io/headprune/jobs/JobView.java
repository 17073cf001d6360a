package io.headprune.jobs;

import java.time.Instant;
import java.util.Map;
import java.util.UUID;

/**
 * A job as {@code GET /v1/jobs/{id}} shows it.
 *
 * @param id job id
 * @param status QUEUED, RUNNING, SUCCEEDED, FAILED or CANCELLED
 * @param model the model: an uploaded id, or a Hub repository, revision and the commit it resolved
 *     to
 * @param progress current phase and batches done of total
 * @param createdAt when it was submitted
 * @param startedAt when a worker first started it
 * @param finishedAt when it ended
 * @param attempt how many times a worker has started it (more than 1 after a worker died)
 * @param error the problem detail of a failed job
 * @param result where the outputs are and what they say, once SUCCEEDED
 * @param callback the completion callback and its delivery attempts, if the job has one
 */
public record JobView(
    UUID id,
    JobStatus status,
    Model model,
    Progress progress,
    Instant createdAt,
    Instant startedAt,
    Instant finishedAt,
    int attempt,
    Map<String, Object> error,
    Map<String, Object> result,
    Callback callback) {

  /**
   * @param url where the terminal status is POSTed
   * @param deliveredAt when a delivery was answered 2xx
   * @param gaveUpAt when retries stopped without success
   * @param attempts every delivery attempt
   */
  public record Callback(
      String url,
      Instant deliveredAt,
      Instant gaveUpAt,
      java.util.List<CallbackAttempt> attempts) {}

  /**
   * @param attempt 1, 2, …
   * @param at when it was made
   * @param status the receiver's HTTP status (null when no answer came)
   * @param error why it failed, when it did
   */
  public record CallbackAttempt(int attempt, Instant at, Integer status, String error) {}

  /**
   * @param id an uploaded model's id
   * @param hub a Hub repository
   * @param revision the requested revision
   * @param commit the commit the revision resolved to when the job was submitted
   */
  public record Model(UUID id, String hub, String revision, String commit) {}

  /**
   * @param phase queued, download, load, dense, score, alpha, target, evaluate, write, done,
   *     cancelled or failed
   * @param done units of the phase finished
   * @param total units of the phase
   */
  public record Progress(io.headprune.scoring.Phase phase, long done, long total) {}
}
