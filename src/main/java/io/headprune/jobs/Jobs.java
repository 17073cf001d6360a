package io.headprune.jobs;

import com.github.kagkarlsson.scheduler.Scheduler;
import com.github.kagkarlsson.scheduler.SchedulerClient;
import com.github.kagkarlsson.scheduler.exceptions.TaskInstanceCurrentlyExecutingException;
import com.github.kagkarlsson.scheduler.exceptions.TaskInstanceNotFoundException;
import com.github.kagkarlsson.scheduler.task.TaskInstanceId;
import io.headprune.checkpoint.Json;
import io.headprune.checkpoint.Labels;
import io.headprune.model.Models;
import io.headprune.problem.ConflictException;
import io.headprune.problem.NotFoundException;
import io.headprune.progress.Phase;
import io.headprune.pruning.Plan;
import io.headprune.pruning.PruneReport;
import io.headprune.pruning.Pruner;
import io.headprune.storage.ArtifactStore;
import io.headprune.tenancy.Audit;
import io.headprune.tenancy.Caller;
import io.headprune.tenancy.Quotas;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.data.domain.Page;
import org.springframework.data.domain.PageRequest;
import org.springframework.stereotype.Service;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.annotation.Transactional;
import org.springframework.transaction.support.TransactionTemplate;

/** Submitting, inspecting, cancelling and deleting pruning jobs. */
@Service
public class Jobs {

  /** Output kinds a job stores. */
  public static final Set<String> ARTIFACT_KINDS = Set.of("pruned", "masked");

  private final Repositories.JobRows jobs;
  private final Repositories.HeadScores scores;
  private final Repositories.Evaluations evaluations;
  private final Repositories.Artifacts artifacts;
  private final Catalog catalog;
  private final SchedulerClient scheduler;
  private final ArtifactStore store;
  private final JobMetrics metrics;

  /** What every end of a job does (callback, event, metric). */
  private final JobEndings endings;

  private final Clock clock;
  private final Quotas quotas;
  private final Audit audit;
  private final IdempotencyKeys idempotency;
  private final Callbacks callbacks;
  private final TransactionTemplate transactions;

  /** Most passes a job's plan may have ({@code headprune.jobs.max-passes}). */
  private final long maxPasses;

  /** The worker pools a job may name. */
  private final JobPools pools;

  private final JobEvents events;

  /** Whether submission checks a model against the memory budget (see the constructor). */
  private final boolean checksMemory;

  Jobs(
      Repositories.JobRows jobs,
      Repositories.HeadScores scores,
      Repositories.Evaluations evaluations,
      Repositories.Artifacts artifacts,
      Catalog catalog,
      SchedulerClient scheduler,
      ArtifactStore store,
      JobMetrics metrics,
      Clock clock,
      Quotas quotas,
      Audit audit,
      IdempotencyKeys idempotency,
      Callbacks callbacks,
      PlatformTransactionManager transactionManager,
      JobEvents events,
      JobEndings endings,
      JobPools pools,
      @Value("${headprune.jobs.max-passes:100000000}") long maxPasses,
      @Value("${headprune.role:both}") String role,
      @Value("${headprune.memory.budget:}") String memoryBudget) {
    this.maxPasses = maxPasses;
    this.pools = pools;
    // an API replica's own memory says nothing of the workers': it checks a job's model against
    // the budget only when it runs jobs itself or is told the workers' budget
    this.checksMemory = !role.trim().equalsIgnoreCase("api") || !memoryBudget.isBlank();
    this.events = events;
    this.endings = endings;
    this.transactions = new TransactionTemplate(transactionManager);
    this.callbacks = callbacks;
    this.idempotency = idempotency;
    this.quotas = quotas;
    this.audit = audit;
    this.jobs = jobs;
    this.scores = scores;
    this.evaluations = evaluations;
    this.artifacts = artifacts;
    this.catalog = catalog;
    this.scheduler = scheduler;
    this.store = store;
    this.metrics = metrics;
    this.clock = clock;
  }

  /** Validates {@code request}, inserts the job and schedules it. */
  public JobView submit(JobRequest request) {
    return submit(request, null).value();
  }

  /** What a submission resolved and checked before its transaction. */
  private record Checked(
      UUID modelId,
      String hubCommit,
      UUID calibration,
      List<UUID> compared,
      UUID evaluation,
      URI callback,
      Plan plan) {}

  /**
   * As {@link #submit(JobRequest)}, with an {@code Idempotency-Key} (or null): the same key with
   * the same body gives the job it created before ({@code created} false).
   *
   * <p>Everything that reads files or the network — the model's configuration, the datasets' rows,
   * the Hub, the callback host's addresses — is checked before the transaction, with no database
   * connection held; the transaction then share-locks what the job reads (a model or dataset
   * deleted meanwhile is a 404), claims the key, counts the tenant's quota and inserts the job: a
   * few milliseconds.
   */
  public Stored<JobView> submit(JobRequest request, String idempotencyKey) {
    JobSpec spec = JobSpec.of(request, pools.check(request.pool()));
    String tenant = Caller.current().tenant();
    String requestHash = null;
    if (idempotencyKey != null) {
      IdempotencyKeys.check(idempotencyKey);
      requestHash = IdempotencyKeys.hash(request);
      // a retry finds its job without the checks again (409 for another body)
      Optional<UUID> earlier = idempotency.earlier(tenant, idempotencyKey, requestHash);
      if (earlier.isPresent()) {
        return transactions.execute(status -> existing(earlier.get(), idempotencyKey));
      }
    }
    Checked checked = check(request, spec);
    String hash = requestHash;
    return transactions.execute(status -> insert(request, spec, checked, idempotencyKey, hash));
  }

  private Stored<JobView> existing(UUID id, String idempotencyKey) {
    JobEntity job =
        jobs.findByIdAndTenant(id, Caller.current().tenant())
            .orElseThrow(
                () ->
                    new ConflictException(
                        "the job Idempotency-Key "
                            + idempotencyKey
                            + " created has been deleted; use a new key"));
    return new Stored<>(view(job), false);
  }

  /** The checks that read files or the network; outside any transaction. */
  private Checked check(JobRequest request, JobSpec spec) {
    UUID modelId = null;
    String hubCommit = null;
    Labels labels = null;
    if (request.model().id() != null) {
      ModelEntity model = catalog.modelForJob(request.model().id());
      modelId = model.id;
      var config = Models.config(store.resolve(model.storagePath));
      if (checksMemory) {
        try (var checkpoint = Models.open(store.resolve(model.storagePath))) {
          Models.checkFits(checkpoint); // a 422 naming the figures, not a worker's failure later
        }
      }
      labels =
          config.languageModel()
              ? null
              : config.labels(); // a language model's data carries no class labels
      Pruner.checkFits(spec.options(), config);
    } else {
      // resolved now, so a missing repository or revision is the caller's 4xx; downloaded by the
      // worker
      hubCommit =
          catalog.resolveHubModel(
              spec.normalized().model().hub(), spec.normalized().model().revision());
    }
    UUID calibration = catalog.datasetId(spec.normalized().calibration(), "calibration");
    List<JobRequest.DatasetRef> comparedRefs = comparedRefs(spec);
    List<UUID> compared = new ArrayList<>();
    for (int i = 0; i < comparedRefs.size(); i++) {
      compared.add(catalog.datasetId(comparedRefs.get(i), comparedRole(i)));
    }
    UUID evaluation =
        request.evaluation() == null ? null : catalog.datasetId(request.evaluation(), "evaluation");
    if (request.model().id() != null) { // a Hub model's labels are known once the worker has it
      String mapping = spec.normalized().labelMapping();
      catalog.checkData(calibration, spec.normalized().calibration(), labels, mapping);
      for (int i = 0; i < compared.size(); i++) {
        catalog.checkData(compared.get(i), comparedRefs.get(i), labels, mapping);
      }
      if (evaluation != null) {
        catalog.checkData(evaluation, spec.normalized().evaluation(), labels, mapping);
      }
    }
    Plan plan =
        Plan.of(
            spec.options(),
            catalog.datasetRows(calibration),
            evaluation == null ? null : catalog.datasetRows(evaluation),
            compared.stream().map(catalog::datasetRows).toList());
    plan.checkWithin(maxPasses);
    URI callback = request.callback() == null ? null : callbacks.validate(request.callback());
    return new Checked(modelId, hubCommit, calibration, compared, evaluation, callback, plan);
  }

  private static List<JobRequest.DatasetRef> comparedRefs(JobSpec spec) {
    return spec.normalized().calibrations() == null ? List.of() : spec.normalized().calibrations();
  }

  private static String comparedRole(int index) {
    return "calibrations[" + (index + 1) + "]";
  }

  /** The submission's transaction: short, and no file or network I/O in it. */
  private Stored<JobView> insert(
      JobRequest request,
      JobSpec spec,
      Checked checked,
      String idempotencyKey,
      String requestHash) {
    String tenant = Caller.current().tenant();
    UUID id = UUID.randomUUID();
    if (idempotencyKey != null) {
      var earlier = idempotency.claim(tenant, idempotencyKey, requestHash, id);
      if (earlier.isPresent()) { // a concurrent submission with the key won
        return existing(earlier.get(), idempotencyKey);
      }
    }
    // share-locked until the job row is committed, so a concurrent delete sees the job (409)
    if (checked.modelId() != null) {
      catalog.shareModel(checked.modelId());
    }
    catalog.shareDataset(checked.calibration(), "calibration");
    for (int i = 0; i < checked.compared().size(); i++) {
      catalog.shareDataset(checked.compared().get(i), comparedRole(i));
    }
    if (checked.evaluation() != null) {
      catalog.shareDataset(checked.evaluation(), "evaluation");
    }
    quotas.admitQueuedJob(tenant); // the tenant's row stays locked until this job is committed
    Instant now = clock.instant();
    JobEntity job = JobEntity.queued(id, tenant, now);
    job.modelId = checked.modelId();
    job.hubCommit = checked.hubCommit();
    job.calibrationId = checked.calibration();
    job.evaluationId = checked.evaluation();
    job.comparedIds = new ArrayList<>(checked.compared());
    job.request = JobPayload.write(spec.normalized());
    job.asked = Json.MAPPER.writeValueAsString(spec.normalized());
    job.modelHub = spec.normalized().model().hub();
    job.modelRevision = spec.normalized().model().revision();
    job.name = spec.normalized().name();
    job.labels = ResourceLabels.json(spec.normalized().labels());
    job.externalId = spec.normalized().externalId();
    job.pool = spec.normalized().pool();
    job.plan = Json.MAPPER.writeValueAsString(JobView.Plan.of(checked.plan().passes()));
    job.data =
        Json.MAPPER.writeValueAsString(
            new JobView.Data(
                catalog.datasetUse(checked.calibration()),
                checked.evaluation() == null ? null : catalog.datasetUse(checked.evaluation()),
                checked.compared().stream().map(catalog::datasetUse).toList()));
    jobs.saveAndFlush(job); // the callback's row and the events reference it
    events.record(
        job.id,
        0,
        "submitted",
        job.phase,
        checked.plan().total()
            + " passes by the plan of the datasets' rows: "
            + JobView.Plan.of(checked.plan().passes()).passes());
    if (checked.callback() != null) {
      callbacks.register(job.id, tenant, checked.callback(), request.callback().secret());
    }
    // short jobs first, fair between tenants, none starved (see QueueOrder)
    long queued = jobs.countByTenantAndStatus(tenant, JobStatus.QUEUED) - 1; // not this one
    scheduler.scheduleIfNotExists(
        JobPools.task(job.pool)
            .instance(job.id.toString())
            .data(job.id.toString())
            .priority(JobQueue.JOB_PRIORITY)
            .scheduledTo(QueueOrder.executionTime(now, checked.plan().cost(), queued)));
    wakeWorkerAfterCommit();
    audit.record("job.submit", job.id);
    metrics.submitted();
    return new Stored<>(view(job), true);
  }

  /**
   * db-scheduler's immediate execution wakes the local scheduler when a job is scheduled, but that
   * happens before this transaction commits and the poll would not see the row yet: wake it again
   * once the row is visible, so an idle worker starts within a second.
   */
  private void wakeWorkerAfterCommit() {
    if (scheduler instanceof Scheduler local) {
      AfterCommit.run(local::triggerCheckForDueExecutions);
    }
  }

  /** One job. */
  @Transactional(readOnly = true)
  public JobView get(UUID id) {
    return view(entity(id));
  }

  /** The events of the caller's job {@code id}, oldest first. */
  @Transactional(readOnly = true)
  public JobEventList events(UUID id) {
    JobEntity job = entity(id);
    return new JobEventList(job.id, job.status, events.of(job.id));
  }

  /**
   * The caller's jobs, newest first; each filter (null: any) narrows them: one status, a name, an
   * external id, labels ({@code key=value}, all of them).
   */
  @Transactional(readOnly = true)
  public Page<JobView> list(
      JobStatus status, String name, String externalId, List<String> labels, int page, int size) {
    Page<JobEntity> rows =
        jobs.search(
            Caller.current().tenant(),
            status == null ? null : status.name(),
            name,
            externalId,
            ResourceLabels.json(ResourceLabels.selector(labels)),
            PageRequest.of(page, size));
    // the page's callbacks in one go, not a query per job
    Map<UUID, JobView.Callback> delivered =
        callbacks.views(rows.getContent().stream().map(job -> job.id).toList());
    return rows.map(job -> view(job, delivered.get(job.id)));
  }

  /** Cancels a queued or running job; a finished job cannot be cancelled. */
  @Transactional
  public JobView cancel(UUID id) {
    JobEntity job = locked(id);
    if (job.status.finished()) {
      throw new ConflictException("job " + id + " has already finished with status " + job.status);
    }
    // queued, and no worker has picked it: it ends here; a worker that picked it at this moment
    // (the row still says QUEUED) finds the request when it starts, and ends it
    if (job.status == JobStatus.QUEUED
        && cancelUnlessPicked(JobPools.task(job.pool).instanceId(id.toString()))) {
      job.cancel(clock.instant());
      endings.ended(job, "unknown", null, "cancelled while queued");
    } else {
      job.requestCancel(clock.instant());
      events.record(
          id,
          job.attempt,
          "cancel-requested",
          job.phase,
          "cancel requested; the worker stops at its next batch");
    }
    audit.record("job.cancel", id);
    return view(job);
  }

  /** Deletes a job with its scores, evaluations and artifacts; a running job is cancelled first. */
  @Transactional
  public void delete(UUID id) {
    JobEntity job = locked(id);
    // its queued run and a pending callback delivery go with it; one a worker picked at this
    // moment finds no row and ends
    cancelUnlessPicked(JobPools.task(job.pool).instanceId(id.toString()));
    cancelUnlessPicked(Callbacks.DELIVERY.instanceId(id.toString()));
    scores.deleteByJobId(id);
    evaluations.deleteByJobId(id);
    artifacts.deleteByJobId(id);
    jobs.delete(job);
    audit.record("job.delete", id);
    ArtifactStore.delete(store.job(id));
  }

  /** The job's scores.json, once it has succeeded. */
  @Transactional(readOnly = true)
  public Path scoresFile(UUID id) {
    return output(id, "scores");
  }

  /** The job's report.json, once it has succeeded. */
  @Transactional(readOnly = true)
  public Path reportFile(UUID id) {
    return output(id, "report");
  }

  /**
   * A succeeded job's heads from its {@code head_scores} rows: the scores the artifact was selected
   * with, and every seed's.
   */
  @Transactional(readOnly = true)
  public JobHeads heads(UUID id) {
    succeeded(id);
    Map<List<Integer>, HeadScoreEntity> selected = new LinkedHashMap<>();
    Map<List<Integer>, List<JobHeads.HeadScoring>> perSeed = new HashMap<>();
    Set<Integer> seeds = new HashSet<>();
    // ordered by seed (null, the selection's, first), layer, head
    for (HeadScoreEntity row : scores.findByJobIdOrderBySeedAscLayerAscHeadAsc(id)) {
      List<Integer> key = List.of(row.layer, row.head);
      if (row.seed == null) {
        selected.put(key, row);
      } else {
        seeds.add(row.seed);
        perSeed.computeIfAbsent(key, k -> new ArrayList<>()).add(JobHeads.HeadScoring.of(row));
      }
    }
    List<JobHeads.JobHead> heads = new ArrayList<>();
    for (var entry : selected.entrySet()) {
      HeadScoreEntity row = entry.getValue();
      List<JobHeads.HeadScoring> bySeed = perSeed.getOrDefault(entry.getKey(), List.of());
      double mean =
          bySeed.stream().mapToDouble(JobHeads.HeadScoring::hies).average().orElse(Double.NaN);
      double squares =
          bySeed.stream().mapToDouble(s -> (s.hies() - mean) * (s.hies() - mean)).sum();
      double std = bySeed.size() > 1 ? Math.sqrt(squares / (bySeed.size() - 1)) : Double.NaN;
      heads.add(
          new JobHeads.JobHead(
              row.layer, row.head, row.pruned, JobHeads.HeadScoring.of(row), bySeed, mean, std));
    }
    heads.sort(
        Comparator.comparingInt(JobHeads.JobHead::layer).thenComparingInt(JobHeads.JobHead::head));
    return new JobHeads(seeds.size(), heads);
  }

  /**
   * A succeeded job's evaluations from its {@code evaluations} rows, optionally of one criterion
   * and one sparsity.
   */
  @Transactional(readOnly = true)
  public JobEvaluations evaluations(UUID id, String criterion, Double sparsity) {
    succeeded(id);
    List<PruneReport.EvaluationRow> rows = new ArrayList<>();
    for (EvaluationEntity row : evaluations.findByJobIdOrderByIdAsc(id)) {
      if ((criterion == null || criterion.equals(row.criterion))
          && (sparsity == null || Math.abs(sparsity - row.sparsity) < 1e-9)) {
        rows.add(
            new PruneReport.EvaluationRow(
                row.criterion,
                row.sparsity,
                row.seed,
                row.metricName,
                row.metricValue == null ? Double.NaN : row.metricValue,
                row.agreement == null ? Double.NaN : row.agreement,
                Json.MAPPER.readValue(row.prunedHeads, int[][].class)));
      }
    }
    return new JobEvaluations(rows);
  }

  /** The job's report.html, once it has succeeded. */
  @Transactional(readOnly = true)
  public Path reportPage(UUID id) {
    succeeded(id);
    return artifacts
        .findByJobIdAndKind(id, "reportPage")
        .map(a -> store.resolve(a.uri))
        .or(() -> legacyPage(id))
        .orElseThrow(
            () ->
                new NotFoundException(
                    "job " + id + " has no report page (it ran before pages were written)"));
  }

  /** A page written before pages had artifact rows (schema V16 and earlier): the file itself. */
  private Optional<Path> legacyPage(UUID id) {
    return Optional.of(store.job(id).resolve("report.html")).filter(Files::isRegularFile);
  }

  /** A stored output with its SHA-256. */
  public record StoredArtifact(Path path, String sha256, long bytes) {}

  /** The .tar.gz of a job's {@code pruned} or {@code masked} model. */
  @Transactional(readOnly = true)
  public StoredArtifact artifact(UUID id, String kind) {
    if (!ARTIFACT_KINDS.contains(kind)) {
      throw new NotFoundException(
          "artifact kind '" + kind + "' does not exist; use pruned or masked");
    }
    succeeded(id);
    ArtifactEntity entity =
        artifacts
            .findByJobIdAndKind(id, kind)
            .orElseThrow(
                () -> new NotFoundException("job " + id + " has no " + kind + " artifact"));
    return new StoredArtifact(store.resolve(entity.uri), entity.sha256.trim(), entity.bytes);
  }

  private Path output(UUID id, String kind) {
    succeeded(id);
    return artifacts
        .findByJobIdAndKind(id, kind)
        .map(a -> store.resolve(a.uri))
        .orElseThrow(() -> new NotFoundException("job " + id + " has no " + kind));
  }

  private void succeeded(UUID id) {
    JobEntity job = entity(id);
    if (job.status != JobStatus.SUCCEEDED) {
      throw new ConflictException(
          "job " + id + " is " + job.status + "; its outputs exist once it has SUCCEEDED");
    }
  }

  /** One of the caller's jobs; another tenant's is as absent as a missing one. */
  /** The caller's job, its row locked until the transaction ends (a worker's start waits). */
  private JobEntity locked(UUID id) {
    String tenant = Caller.current().tenant();
    return jobs.lockById(id)
        .filter(job -> job.tenant.equals(tenant))
        .orElseThrow(() -> new NotFoundException("job does not exist"));
  }

  /**
   * Removes {@code execution} unless a worker has picked it; true when it is gone (or never was),
   * false when a worker runs it.
   */
  private boolean cancelUnlessPicked(TaskInstanceId execution) {
    var scheduled = scheduler.getScheduledExecution(execution);
    if (scheduled.isEmpty()) {
      return true;
    }
    if (scheduled.get().isPicked()) {
      return false;
    }
    try {
      scheduler.cancel(execution);
      return true;
    } catch (TaskInstanceCurrentlyExecutingException picked) {
      return false; // picked between the look and the cancel
    } catch (TaskInstanceNotFoundException done) {
      return true;
    }
  }

  private JobEntity entity(UUID id) {
    return jobs.findByIdAndTenant(id, Caller.current().tenant())
        .orElseThrow(() -> new NotFoundException("job does not exist"));
  }

  private JobView view(JobEntity job) {
    return view(job, callbacks.view(job.id));
  }

  private JobView view(JobEntity job, JobView.Callback callback) {
    JobView.Model model =
        new JobView.Model(job.modelId, job.modelHub, job.modelRevision, job.hubCommit);
    return new JobView(
        job.id,
        job.status,
        job.name,
        ResourceLabels.read(job.labels),
        job.externalId,
        job.pool,
        model,
        new JobView.Progress(
            Phase.of(job.phase),
            job.progressDone,
            job.progressTotal,
            job.fraction,
            job.status == JobStatus.RUNNING ? job.eta : null),
        job.createdAt,
        job.startedAt,
        job.finishedAt,
        job.attempt,
        read(job.error, JobView.Failure.class),
        read(job.result, JobView.Result.class),
        callback,
        job.data != null
            ? read(job.data, JobView.Data.class)
            : new JobView.Data(
                new JobView.Dataset(job.calibrationId, null),
                job.evaluationId == null ? null : new JobView.Dataset(job.evaluationId, null),
                List.of()),
        job.plan == null ? null : read(job.plan, JobView.Plan.class),
        job.peakMemory == null ? null : readPeakMemory(job.peakMemory),
        job.asked);
  }

  private static Map<String, Long> readPeakMemory(String json) {
    Map<String, Long> peaks = new LinkedHashMap<>();
    Json.MAPPER
        .readTree(json)
        .properties()
        .forEach(e -> peaks.put(e.getKey(), e.getValue().asLong()));
    return peaks;
  }

  /** A job as its callback reports it (on a worker: no caller, the job's own id). */
  JobView viewForCallback(UUID id) {
    return jobs.findById(id).map(this::view).orElse(null);
  }

  private static <T> T read(String json, Class<T> type) {
    return json == null ? null : Json.MAPPER.readValue(json, type);
  }
}
