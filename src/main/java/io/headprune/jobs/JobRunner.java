package io.headprune.jobs;

import ai.djl.Device;
import com.github.kagkarlsson.scheduler.task.ExecutionContext;
import io.headprune.checkpoint.Checkpoint;
import io.headprune.checkpoint.DataSource;
import io.headprune.checkpoint.Json;
import io.headprune.checkpoint.TextTokenizer;
import io.headprune.model.MemoryBudget;
import io.headprune.model.Models;
import io.headprune.model.NativeThreads;
import io.headprune.problem.HeadpruneException;
import io.headprune.problem.InvalidInputException;
import io.headprune.problem.Problem;
import io.headprune.problem.ProblemType;
import io.headprune.progress.Phase;
import io.headprune.progress.Progress;
import io.headprune.progress.RunStopped;
import io.headprune.progress.StopToken;
import io.headprune.pruning.PruneRequest;
import io.headprune.pruning.Pruner;
import io.headprune.storage.ArtifactStore;
import io.headprune.tenancy.Quotas;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.transaction.support.TransactionTemplate;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * Runs one job on this worker: load → score → select → write → persist. Progress is written every
 * few seconds; cancellation and shutdown are checked between batches. A cancelled or failed job
 * leaves no artifacts behind (outputs are built in a scratch directory and moved into place only
 * when complete).
 */
class JobRunner implements JobQueue.Worker {

  private static final Logger log = LoggerFactory.getLogger(JobRunner.class);

  /**
   * Thrown when the job cannot start here yet — its tenant already runs as many jobs as its quota
   * allows, or a newer headprune wrote its options: the job stays queued and is tried again
   * shortly.
   */
  static final class Deferred extends RuntimeException {
    Deferred(String reason) {
      super(reason, null, false, false);
    }
  }

  private final Repositories.JobRows jobs;
  private final Catalog catalog;
  private final JobResults results;
  private final ArtifactStore store;
  private final WorkerDevices devices;
  private final TransactionTemplate transactions;
  private final JobMetrics metrics;
  private final List<JobListener> listeners;
  private final Duration progressInterval;
  private int nice;
  private final Clock clock;
  private final String workerName;
  private final Quotas quotas;
  private JobEndings endings;

  /** Set by the configuration: the nice value jobs run at (0: as the request threads). */
  void nice(int nice) {
    if (nice < 0 || nice > 19) {
      throw new IllegalArgumentException("headprune.worker.nice is 0 to 19, not " + nice);
    }
    this.nice = nice;
  }

  private boolean isolateTokenizer = true;

  /** Set by the configuration: whether jobs encode texts in a child process (the default). */
  void isolateTokenizer(boolean isolate) {
    this.isolateTokenizer = isolate;
  }

  /** Set by the configuration: what every end of a job does (callback, event, metric). */
  void endings(JobEndings endings) {
    this.endings = endings;
  }

  /** What the job did, for {@code GET /v1/jobs/{id}/events}; none recorded until set. */
  private JobEvents events;

  /** Set by the configuration: the job's events are recorded. */
  void events(JobEvents events) {
    this.events = events;
  }

  private void event(UUID id, int attempt, String kind, Phase phase, String detail) {
    if (events != null) {
      events.record(id, attempt, kind, phase == null ? null : phase.id(), detail);
    }
  }

  JobRunner(
      Quotas quotas,
      Repositories.JobRows jobs,
      Catalog catalog,
      JobResults results,
      ArtifactStore store,
      WorkerDevices devices,
      TransactionTemplate transactions,
      JobMetrics metrics,
      List<JobListener> listeners,
      Duration progressInterval,
      Clock clock,
      String workerName) {
    this.quotas = quotas;
    this.jobs = jobs;
    this.catalog = catalog;
    this.results = results;
    this.store = store;
    this.devices = devices;
    this.transactions = transactions;
    this.metrics = metrics;
    this.listeners = listeners;
    this.progressInterval = progressInterval;
    this.clock = clock;
    this.workerName = workerName;
  }

  /**
   * The calibration sets job {@code job} compares with its own, read as its request maps them and
   * named in the report as the request names them (a stored dataset's id, a Hub split's repository,
   * config and split).
   */
  private List<DataSource> compared(JobEntity job, JobSpec spec) {
    List<JobRequest.DatasetRef> refs = spec.normalized().calibrations();
    if (refs == null || refs.isEmpty()) {
      return List.of();
    }
    JobView.Data data = Json.MAPPER.readValue(job.data, JobView.Data.class);
    List<DataSource> sources = new ArrayList<>();
    for (int i = 0; i < refs.size(); i++) {
      JobView.Dataset dataset = data.calibrations().get(i);
      if (dataset.id() == null) {
        throw new InvalidInputException("calibrations[" + (i + 1) + "]: its dataset was deleted");
      }
      sources.add(source(dataset, refs.get(i), spec.normalized().maxLength()));
    }
    return sources;
  }

  /**
   * A dataset a job reads, as its request maps it, named for reports and, for a Hub split, with the
   * repository it came from.
   */
  private DataSource source(JobView.Dataset dataset, JobRequest.DatasetRef ref, int maxLength) {
    DataSource source =
        JobSpec.source(catalog.datasetPath(dataset.id()), ref, maxLength).labelled(label(dataset));
    return dataset.hub() == null
        ? source
        : source.fromHub(dataset.hub().repo().replaceFirst("^datasets/", ""));
  }

  /** What a job's report calls a dataset: the Hub split it came from, or its id. */
  static String label(JobView.Dataset dataset) {
    DatasetView.HubOrigin hub = dataset.hub();
    return hub != null
        ? hub.repo() + " (" + hub.config() + "/" + hub.split() + ") @ " + hub.commit()
        : "dataset " + dataset.id();
  }

  /** Executes job {@code id}; returns normally when the job has ended (in any status). */
  @Override
  public void run(UUID id, ExecutionContext context) {
    Started started = transactions.execute(status -> start(id));
    if (started
        == null) { // ended meanwhile: a dead attempt's scratch may be all that is left of it
      store.removeScratch(id);
      return;
    }
    JobEntity job = started.job();
    int attempt = job.attempt;
    event(
        id,
        attempt,
        "started",
        Phase.LOAD,
        "attempt " + attempt + " started on worker " + workerName);
    // each attempt has its own scratch directory: a paused attempt that wakes up never shares files
    // with the owner; the dead attempts' scratch goes now that this one owns the job
    Path work = store.attempt(id, attempt);
    store.removeEarlierAttempts(id, attempt);
    ArtifactStore.delete(work);
    // the job's compute yields to the threads that answer requests (and the engine threads this
    // thread starts inherit that)
    NativeThreads.lowerThisThread(nice);
    // texts are encoded where a tokenizer that aborts its process takes only a child with it
    TextTokenizer.isolateNativeEncoding(isolateTokenizer);
    Instant startedAt = clock.instant();
    String criterion = "unknown"; // until the options are read
    WorkerDevices.Slot slot = null;
    Outcome outcome;
    try {
      JobSpec spec = JobSpec.of(started.request());
      criterion = spec.options().criterion().id();
      Path modelDir = job.modelId != null ? catalog.modelPath(job.modelId) : hubModel(job, spec);
      slot = place(modelDir);
      Device device = slot.device();
      int maxLength = spec.normalized().maxLength();
      DataSource calibration =
          source(catalog.datasetUse(job.calibrationId), spec.normalized().calibration(), maxLength);
      DataSource evaluation =
          job.evaluationId == null
              ? null
              : source(
                  catalog.datasetUse(job.evaluationId), spec.normalized().evaluation(), maxLength);
      List<DataSource> compared = compared(job, spec);
      StopToken stop = new StopToken();
      JobProgress progress = new JobProgress(id, attempt, context, stop);
      String modelName =
          job.modelId != null ? catalog.modelName(job.modelId) : spec.normalized().model().hub();
      Map<String, Object> repeat = repeatable(spec.normalized(), job.hubCommit, job.data);
      Pruner.Origin origin =
          job.modelId != null
              ? new Pruner.Origin(
                  catalog.modelName(job.modelId), null, "headprune job " + id, repeat)
              : new Pruner.Origin(
                  spec.normalized().model().hub(), job.hubCommit, "headprune job " + id, repeat);
      Pruner.Result result =
          Pruner.prune(
              PruneRequest.of(modelDir, calibration, evaluation, spec.options())
                  .named(modelName, origin)
                  .comparing(compared)
                  .writingTo(work.resolve("out"))
                  .on(device)
                  .reporting(progress)
                  .stoppedBy(stop));
      metrics.headsScored((long) result.scores().heads().size() * spec.options().seeds());
      progress.endPhase();
      results.persist(id, attempt, work, result, criterion, startedAt);
      outcome = new Outcome.Succeeded();
    } catch (RunStopped stopped) {
      outcome =
          switch (stopped.reason()) {
            case CANCELLED -> new Outcome.Cancelled();
            case LOST -> new Outcome.Lost();
            case SHUTDOWN -> new Outcome.HandedBack();
          };
    } catch (HeadpruneException e) {
      outcome =
          new Outcome.Failed(
              problem(ProblemType.of(e), e.title(), e.getMessage()),
              e.title() + ": " + e.getMessage());
    } catch (RuntimeException e) {
      if (Databases.busy(e)) { // not the job's fault either: it runs again
        Databases.countBusy("job");
        outcome = new Outcome.Retry(e, "every database connection was in use; it runs again");
      } else if (Databases.unreachable(e)) {
        // not the job's fault: db-scheduler runs it again once the database answers; never FAILED
        // for it
        outcome = new Outcome.Retry(e, "the database went away; it runs again once it answers");
      } else {
        log.error("job {} failed", id, e);
        outcome = Outcome.ENGINE_FAILED;
      }
    } catch (Error e) {
      log.error("job {} failed", id, e);
      outcome = Outcome.ENGINE_FAILED;
    } finally {
      TextTokenizer.isolateNativeEncoding(false);
      if (slot != null) {
        devices.release(slot);
      }
      store.removeAttempt(id, attempt);
    }
    conclude(id, attempt, outcome, criterion, startedAt);
  }

  /** How an attempt ended; {@link #conclude} acts on it, in one place. */
  sealed interface Outcome {
    /** Its outputs are stored and the job SUCCEEDED, in the transaction that stored them. */
    record Succeeded() implements Outcome {}

    /** The job failed: the problem its client reads, and the event's words. */
    record Failed(Map<String, Object> problem, String detail) implements Outcome {}

    /** A cancel (or a delete) was found between batches. */
    record Cancelled() implements Outcome {}

    /** A later attempt owns the job: this one stops and writes nothing. */
    record Lost() implements Outcome {}

    /** The worker is shutting down: the job goes back to the queue. */
    record HandedBack() implements Outcome {}

    /** Not the job's fault (the database away or busy): db-scheduler runs it again. */
    record Retry(RuntimeException cause, String detail) implements Outcome {}

    /** The engine failed in a way it did not describe (logged with its stack). */
    Failed ENGINE_FAILED =
        new Failed(
            problem(ProblemType.INTERNAL, "Engine failure", "the engine failed (logged)"),
            "the engine failed (logged)");
  }

  /**
   * Ends attempt {@code attempt} of job {@code id} as {@code outcome} says: a failure or cancel
   * ends the job (if the attempt still runs it), a lost job is left to its owner, a job handed back
   * or to retry goes back to db-scheduler (which runs it again) by the exception it rethrows.
   */
  private void conclude(UUID id, int attempt, Outcome outcome, String criterion, Instant started) {
    Duration took = Duration.between(started, clock.instant());
    if (outcome instanceof Outcome.Succeeded) {
      log.info("job {}: SUCCEEDED in {}", id, took);
    } else if (outcome instanceof Outcome.Lost) {
      log.warn(
          "job {}: attempt {} lost the job to a later attempt (revived while this worker was paused);"
              + " it stops and writes nothing",
          id,
          attempt);
    } else if (outcome instanceof Outcome.Cancelled) {
      log.info("job {}: CANCELLED after {}", id, took);
      end(
          id,
          attempt,
          criterion,
          took,
          "cancelled while it ran",
          job -> job.cancel(clock.instant()));
    } else if (outcome instanceof Outcome.Failed failed) {
      log.info("job {}: FAILED: {}", id, failed.detail());
      String problem = Json.MAPPER.writeValueAsString(failed.problem());
      end(id, attempt, criterion, took, failed.detail(), job -> job.fail(problem, clock.instant()));
    } else if (outcome instanceof Outcome.HandedBack) {
      transactions.executeWithoutResult(
          status ->
              jobs.lockById(id)
                  .filter(row -> row.runBy(attempt))
                  .ifPresent(row -> row.requeue(clock.instant())));
      log.info("job {} handed back to the queue at shutdown", id);
      event(
          id,
          attempt,
          "retry",
          Phase.QUEUED,
          "handed back to the queue: worker " + workerName + " shut down");
      // db-scheduler runs it again (JobQueue's failure handler)
      throw new RunStopped(StopToken.Reason.SHUTDOWN);
    } else if (outcome instanceof Outcome.Retry retry) {
      log.warn("job {}: attempt {}: {}", id, attempt, retry.detail());
      event(id, attempt, "retry", null, retry.detail());
      throw retry.cause();
    }
  }

  /**
   * Waits for a place on one of this worker's devices with room for the model in {@code modelDir}
   * (what it takes resident, or streamed where only that fits the entry), then takes this job's
   * share of the cores.
   */
  private WorkerDevices.Slot place(Path modelDir) {
    MemoryBudget.Footprint footprint;
    boolean canStream;
    try (Checkpoint checkpoint = Models.open(modelDir)) {
      footprint = MemoryBudget.Footprint.of(checkpoint);
      canStream = Models.architecture(checkpoint.config()).streamedLoader() != null;
    }
    WorkerDevices.Slot slot;
    try {
      slot =
          devices.acquire(
              entry -> new MemoryBudget(devices.pool(entry)).reservation(footprint, canStream));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new RunStopped(StopToken.Reason.SHUTDOWN);
    }
    shareCores();
    return slot;
  }

  /** With several jobs at once, this thread's share of the cores (re-taken as jobs come and go). */
  private void shareCores() {
    if (devices.concurrency() > 1) {
      NativeThreads.shareThisThread(devices.threadsPerJob());
    }
  }

  private Path hubModel(JobEntity job, JobSpec spec) {
    UUID id = job.id;
    transactions.executeWithoutResult(
        status -> jobs.progress(id, Phase.DOWNLOAD.id(), 0, 1, clock.instant()));
    Path directory = catalog.hubModel(job.tenant, spec.normalized().model().hub(), job.hubCommit);
    transactions.executeWithoutResult(
        status -> jobs.progress(id, Phase.DOWNLOAD.id(), 1, 1, clock.instant()));
    return directory;
  }

  /**
   * An attempt that has started: its row, and its request read once from the stored document (or
   * what makes it unreadable, which fails the job once it runs).
   */
  private record Started(JobEntity job, JobRequest stored, InvalidInputException unreadable) {
    JobRequest request() {
      if (unreadable != null) {
        throw unreadable;
      }
      return stored;
    }
  }

  private Started start(UUID id) {
    // locked: a cancel or delete of the queued job commits before this start reads it, or after
    JobEntity job = jobs.lockById(id).orElse(null);
    if (job == null || job.status.finished()) {
      return null;
    }
    if (job.cancelRequested) {
      // cancelled while this worker picked it: ended as a cancel of a queued job is
      job.cancel(clock.instant());
      endings.ended(job, "unknown", null, "cancelled as a worker picked it");
      return null;
    }
    JobRequest request = null;
    InvalidInputException unreadable = null;
    try {
      request = JobPayload.read(job.request);
    } catch (JobPayload.Newer newer) {
      log.warn("job {}: {}", id, newer.getMessage());
      throw new Deferred(newer.getMessage()); // rolls back: nothing changed, the job stays QUEUED
    } catch (InvalidInputException e) {
      unreadable = e; // run() fails the job with this message
    }
    if (!quotas.mayStartJob(job.tenant)) {
      throw new Deferred("the tenant's running-jobs quota is full; the job waits");
    }
    job.start(workerName, clock.instant());
    return new Started(job, request, unreadable);
  }

  /**
   * The worker running job {@code id} died (it stopped heartbeating: killed, or crashed in native
   * code). The job waits for a worker again — unless workers have now died {@code maxDeaths} times
   * running it: a job that kills every worker it meets (a tokenizer whose regex aborts the process,
   * say) is quarantined, FAILED with a problem saying so, and not run again. Returns whether it was
   * quarantined. In its own transaction.
   */
  @Override
  public boolean workerDied(UUID id, int maxDeaths) {
    Boolean quarantined =
        transactions.execute(
            tx -> {
              JobEntity job = jobs.lockById(id).orElse(null);
              if (job == null || job.status != JobStatus.RUNNING) {
                return false;
              }
              job.workerDeaths++;
              Instant now = clock.instant();
              if (job.workerDeaths < maxDeaths) {
                job.requeue(now);
                event(
                    id,
                    job.attempt,
                    "retry",
                    Phase.QUEUED,
                    "its worker stopped heartbeating (death "
                        + job.workerDeaths
                        + " of "
                        + maxDeaths
                        + " allowed); back in the queue");
                return false;
              }
              log.error(
                  "job {}: its worker died {} times while running it; the job is quarantined",
                  id,
                  job.workerDeaths);
              job.worker = null;
              job.fail(
                  Json.MAPPER.writeValueAsString(
                      problem(
                          ProblemType.QUARANTINED,
                          ProblemType.QUARANTINED.title(),
                          "the workers that ran this job died "
                              + job.workerDeaths
                              + (job.workerDeaths == 1 ? " time" : " times")
                              + " (the process stopped: a crash in native code, such as a"
                              + " tokenizer aborting, or the machine running out of memory); it is"
                              + " not run again")),
                  now);
              endings.ended(
                  job,
                  "unknown",
                  null,
                  "quarantined: its workers died " + job.workerDeaths + " times");
              return true;
            });
    if (Boolean.TRUE.equals(quarantined)) {
      store.removeScratch(id);
      return true;
    }
    return false;
  }

  /**
   * Ends the job by {@code move} (to a terminal status), if attempt {@code attempt} still runs it:
   * terminal states are final, and a later attempt's job is not this one's to end.
   */
  private void end(
      UUID id,
      int attempt,
      String criterion,
      Duration took,
      String detail,
      Consumer<JobEntity> move) {
    transactions.executeWithoutResult(
        tx ->
            jobs.lockById(id)
                .filter(job -> job.runBy(attempt))
                .ifPresent(
                    job -> {
                      move.accept(job);
                      endings.ended(job, criterion, took, detail);
                    }));
  }

  /**
   * The request that, submitted again, repeats this job: as submitted with every default explicit,
   * Hub revisions pinned to the commits they resolved to (the model's, and each Hub dataset's from
   * {@code data}), and no callback (a delivery, not part of the run; its secret is not kept).
   */
  @SuppressWarnings("unchecked")
  static Map<String, Object> repeatable(JobRequest normalized, String hubCommit, String data) {
    ObjectNode request = Json.MAPPER.valueToTree(normalized);
    request.remove("callback");
    if (hubCommit != null) {
      ((ObjectNode) request.get("model")).put("revision", hubCommit);
    }
    JobView.Data used = data == null ? null : Json.MAPPER.readValue(data, JobView.Data.class);
    if (used != null) {
      pin(request.get("calibration"), used.calibration());
      pin(request.get("evaluation"), used.evaluation());
      var compared = request.get("calibrations");
      for (int i = 0; compared != null && i < compared.size(); i++) {
        pin(compared.get(i), i < used.calibrations().size() ? used.calibrations().get(i) : null);
      }
    }
    return Json.MAPPER.convertValue(request, Map.class);
  }

  private static void pin(JsonNode ref, JobView.Dataset used) {
    if (ref instanceof ObjectNode object
        && object.has("hub")
        && used != null
        && used.hub() != null
        && used.hub().commit() != null) {
      object.put("revision", used.hub().commit());
    }
  }

  static Map<String, Object> problem(ProblemType type, String title, String detail) {
    return Problem.of(type, type.status(), title, detail).members();
  }

  /**
   * Writes progress every few seconds; finding the job cancelled (or deleted), owned by a later
   * attempt, or the worker shutting down, it says so to the run's stop token, which the engine
   * checks after the report. It never throws to stop the run.
   */
  private final class JobProgress implements Progress {
    private final UUID id;
    private final int attempt;
    private final ExecutionContext context;
    private Phase phase;
    private Instant lastWrite = Instant.MIN;

    /** When the run made its plan: the pass times are measured from here. */
    private Instant planned;

    private Double fraction;
    private Instant eta;

    /** Per phase ended, the process's peak resident memory in bytes. */
    private final Map<String, Long> peaks = new LinkedHashMap<>();

    private final StopToken stop;

    JobProgress(UUID id, int attempt, ExecutionContext context, StopToken stop) {
      this.stop = stop;
      this.id = id;
      this.attempt = attempt;
      this.context = context;
      PeakMemory.readAndReset();
    }

    /** Records the peak memory of the phase running until now, and starts the next one's. */
    void endPhase() {
      long peak = PeakMemory.readAndReset();
      if (phase == null || peak <= 0) {
        return;
      }
      peaks.merge(phase.id(), peak, Math::max);
      String json = Json.MAPPER.writeValueAsString(peaks);
      transactions.executeWithoutResult(status -> jobs.peakMemoryOwned(id, json, attempt));
      JobRunner.this.event(
          id,
          attempt,
          "memory",
          phase,
          phase.id()
              + ": peak resident memory "
              + MemoryBudget.gigabytes(peak)
              + " (the worker process's)");
    }

    @Override
    public void report(Phase phase, long done, long total) {
      shareCores();
      listeners.forEach(listener -> listener.onProgress(id, attempt, phase, done, total));
      if (context.getSchedulerState().isShuttingDown() && phase.handedBackOnShutdown()) {
        stop.stop(StopToken.Reason.SHUTDOWN);
        return;
      }
      Instant now = clock.instant();
      if (phase != this.phase
          || done == total
          || Duration.between(lastWrite, now).compareTo(progressInterval) >= 0) {
        String state =
            transactions.execute(
                status -> {
                  if (jobs.progressOwned(id, phase.id(), done, total, now, attempt, fraction, eta)
                      == 1) {
                    return jobs.cancelRequested(id).orElse(true) ? "cancel" : "run";
                  }
                  return jobs.findById(id).isPresent()
                      ? "lost"
                      : "cancel"; // a deleted job is cancelled
                });
        if (phase != this.phase) {
          endPhase();
          JobRunner.this.event(id, attempt, "phase", phase, phase.id() + " (" + total + " steps)");
          // one line a phase: a job's course is in the service log, each line with its id
          log.info(
              "job {}: {} (attempt {}, {} step{})",
              id,
              phase.id(),
              attempt,
              total,
              total == 1 ? "" : "s");
        }
        this.phase = phase;
        lastWrite = now;
        if ("cancel".equals(state)) {
          stop.stop(StopToken.Reason.CANCELLED);
        }
        if ("lost".equals(state)) {
          stop.stop(StopToken.Reason.LOST);
        }
      }
    }

    @Override
    public void planned(Map<Phase, Long> passes) {
      planned = clock.instant();
      String plan = Json.MAPPER.writeValueAsString(JobView.Plan.of(passes));
      transactions.executeWithoutResult(status -> jobs.planOwned(id, plan, attempt));
      JobRunner.this.event(
          id,
          attempt,
          "plan",
          phase,
          JobView.Plan.of(passes).total()
              + " passes by the plan of the examples read: "
              + JobView.Plan.of(passes).passes());
    }

    @Override
    public void event(String kind, String detail) {
      JobRunner.this.event(id, attempt, kind, phase, detail);
    }

    /** The share of the plan done, and the end estimated from the time its passes took so far. */
    @Override
    public void passes(long done, long remaining) {
      if (done + remaining <= 0) {
        return;
      }
      fraction = (double) done / (done + remaining);
      if (done > 0 && planned != null) {
        Instant now = clock.instant();
        long elapsed = Duration.between(planned, now).toMillis();
        eta = now.plusMillis((long) ((double) elapsed * remaining / done));
      }
    }
  }
}
