package io.headprune.jobs;

import com.fasterxml.jackson.annotation.JsonRawValue;
import io.headprune.progress.Phase;
import io.headprune.pruning.PruneReport;
import jakarta.annotation.Nullable;
import java.time.Instant;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;

/**
 * A job as {@code GET /v1/jobs/{id}} shows it.
 *
 * @param id job id
 * @param status QUEUED, RUNNING, SUCCEEDED, FAILED or CANCELLED
 * @param name the name it was submitted with, or null
 * @param labels the labels it was submitted with (empty when none)
 * @param externalId the external run id it was submitted with, or null
 * @param pool the worker pool that runs it
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
 * @param data the datasets it reads, with the commit and files a Hub split resolved to
 * @param plan passes per phase (null for a job submitted before plans)
 * @param peakMemory per phase its latest attempt has ended, the worker process's peak resident
 *     memory in bytes (what the phase took, with whatever else the process ran meanwhile; null
 *     until a phase has ended on a worker that can measure it)
 * @param request the request as submitted, every default filled in (the callback without its
 *     secret): the stored JSON, served as it is; null for a job that a replica older than these
 *     columns queued
 */
public record JobView(
    UUID id,
    JobStatus status,
    @Nullable String name,
    Map<String, String> labels,
    @Nullable String externalId,
    String pool,
    Model model,
    Progress progress,
    Instant createdAt,
    @Nullable Instant startedAt,
    @Nullable Instant finishedAt,
    int attempt,
    @Nullable Failure error,
    @Nullable Result result,
    @Nullable Callback callback,
    Data data,
    @Nullable Plan plan,
    @Nullable Map<String, Long> peakMemory,
    @JsonRawValue @Nullable String request) {

  /**
   * The datasets a job reads.
   *
   * @param calibration the calibration dataset
   * @param evaluation the evaluation dataset, or null (a held-out part of the calibration pool)
   * @param calibrations calibration sets compared with the job's own (empty when none)
   */
  public record Data(
      Dataset calibration, @Nullable Dataset evaluation, List<Dataset> calibrations) {

    public Data {
      calibrations = calibrations == null ? List.of() : List.copyOf(calibrations);
    }
  }

  /**
   * A dataset a job reads.
   *
   * @param id the stored dataset's id
   * @param hub where a Hub split came from (repository, commit, config, split, files), or null
   */
  public record Dataset(UUID id, @Nullable DatasetView.HubOrigin hub) {}

  /**
   * Why a job failed or was cancelled: an RFC 9457 problem.
   *
   * @param type the kind of problem, https://headprune.io/problems/…
   * @param title a short title of the kind
   * @param status the HTTP status a request failing so would get
   * @param detail what went wrong
   * @param instance this occurrence, {@code urn:uuid:…} (null for a job that ended before problems
   *     had one)
   */
  public record Failure(
      String type, String title, int status, String detail, @Nullable String instance) {}

  /**
   * A succeeded job's outcome (report.json has the rest).
   *
   * @param criterion the criterion of the artifact
   * @param sparsity share of heads removed
   * @param selection one-shot, iterative (with its step) or uniform groups
   * @param prunedHeads [layer, head] of every head removed
   * @param alpha the HIES α of the artifact
   * @param dense the unpruned model's metric
   * @param speedup size and speed before and after
   * @param links scores, report, reportPage, pruned (when written) and masked: where to get each
   * @param artifact what the artifact measured itself on the evaluation data (its metric, agreement
   *     and latency ratio) beside the seeds' spread; null for jobs finished before it was measured
   */
  public record Result(
      String criterion,
      double sparsity,
      String selection,
      int[][] prunedHeads,
      double alpha,
      PruneReport.Dense dense,
      PruneReport.Speedup speedup,
      Map<String, Link> links,
      @Nullable PruneReport.Measured artifact) {}

  /**
   * @param href where to GET it
   * @param sha256 SHA-256 of its bytes
   * @param bytes its size
   */
  public record Link(String href, String sha256, long bytes) {}

  /**
   * @param url where the terminal status is POSTed
   * @param deliveredAt when a delivery was answered 2xx
   * @param gaveUpAt when retries stopped without success
   * @param attempts every delivery attempt
   */
  public record Callback(
      String url,
      @Nullable Instant deliveredAt,
      @Nullable Instant gaveUpAt,
      List<CallbackAttempt> attempts) {}

  /**
   * @param attempt 1, 2, …
   * @param at when it was made
   * @param status the receiver's HTTP status (null when no answer came)
   * @param error why it failed, when it did
   */
  public record CallbackAttempt(
      int attempt, Instant at, @Nullable Integer status, @Nullable String error) {}

  /**
   * @param id an uploaded model's id
   * @param hub a Hub repository
   * @param revision the requested revision
   * @param commit the commit the revision resolved to when the job was submitted
   */
  public record Model(
      @Nullable UUID id,
      @Nullable String hub,
      @Nullable String revision,
      @Nullable String commit) {}

  /**
   * @param phase queued, download, load, dense, score, alpha, target, evaluate, write, done,
   *     cancelled or failed
   * @param done units of the phase finished
   * @param total units of the phase
   * @param fraction share of the whole job's plan done, 0 to 1 (null until a worker has measured
   *     some of it)
   * @param eta when the job is estimated to end, from the pass times measured on its worker so far
   *     and the plan's remaining passes (null until then, and once it has ended)
   */
  public record Progress(
      Phase phase, long done, long total, @Nullable Double fraction, @Nullable Instant eta) {}

  /**
   * What a job costs (§8): passes per phase, a pass being one example through the model once
   * (forward; in score, forward and backward). Searches count their bound, so a run does at most
   * its plan; computed at submission from the options and the datasets' rows, then by the worker
   * from the examples it read.
   *
   * @param passes passes per phase
   * @param total every phase's passes
   */
  public record Plan(Map<String, Long> passes, long total) {

    public Plan {
      passes = Collections.unmodifiableMap(new LinkedHashMap<>(passes));
    }

    /** The view of {@code passes} per phase, in the order the phases run. */
    public static Plan of(Map<Phase, Long> passes) {
      Map<String, Long> byName = new LinkedHashMap<>();
      new TreeMap<>(passes).forEach((phase, count) -> byName.put(phase.id(), count));
      return new Plan(byName, passes.values().stream().mapToLong(Long::longValue).sum());
    }
  }
}
