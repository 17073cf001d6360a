package io.headprune.jobs;

import io.headprune.checkpoint.Json;
import io.headprune.progress.RunStopped;
import io.headprune.progress.StopToken;
import io.headprune.pruning.PruneReport;
import io.headprune.pruning.Pruner;
import io.headprune.scoring.HeadScore;
import io.headprune.storage.Archives;
import io.headprune.storage.ArtifactStore;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * Stores a finished run: packed artifacts moved into place, then scores, evaluations and result
 * rows.
 */
class JobResults {

  private final Repositories.JobRows jobs;
  private final Repositories.HeadScores scores;
  private final Repositories.Evaluations evaluations;
  private final Repositories.Artifacts artifacts;
  private final ArtifactStore store;
  private final TransactionTemplate transactions;
  private final Clock clock;

  private final JobEndings endings;

  JobResults(
      Repositories.JobRows jobs,
      Repositories.HeadScores scores,
      Repositories.Evaluations evaluations,
      Repositories.Artifacts artifacts,
      ArtifactStore store,
      TransactionTemplate transactions,
      Clock clock,
      JobEndings endings) {
    this.endings = endings;
    this.jobs = jobs;
    this.scores = scores;
    this.evaluations = evaluations;
    this.artifacts = artifacts;
    this.store = store;
    this.transactions = transactions;
    this.clock = clock;
  }

  /**
   * Stores attempt {@code attempt}'s result, if that attempt still owns the running job; a worker
   * that lost the job (revived elsewhere while it was paused) gets {@link RunStopped} (lost) and
   * its files are removed, so the owner's are never touched.
   */
  void persist(
      UUID id, int attempt, Path work, Pruner.Result result, String criterion, Instant started) {
    Path out = work.resolve("out");
    Path packed = work.resolve("final");
    try {
      Files.createDirectories(packed);
      if (Files.isDirectory(out.resolve("pruned"))) { // not for a selection only masked/ can carry
        Archives.tarGz(out.resolve("pruned"), "pruned", packed.resolve("pruned.tar.gz"));
      }
      Archives.tarGz(out.resolve("masked"), "masked", packed.resolve("masked.tar.gz"));
      Files.copy(out.resolve("scores.json"), packed.resolve("scores.json"));
      Files.copy(out.resolve("report.json"), packed.resolve("report.json"));
      Files.copy(out.resolve("report.html"), packed.resolve("report.html"));
    } catch (IOException e) {
      throw new UncheckedIOException("packing the outputs of job " + id, e);
    }
    Path target = store.job(id);
    boolean[] moved = {false};
    try {
      transactions.executeWithoutResult(
          status -> store(id, attempt, packed, target, result, moved, criterion, started));
    } catch (RuntimeException e) {
      if (moved[0]) {
        ArtifactStore.delete(target); // ours, moved in this transaction, which did not commit
      }
      throw e;
    }
  }

  private void store(
      UUID id,
      int attempt,
      Path packed,
      Path target,
      Pruner.Result result,
      boolean[] moved,
      String criterion,
      Instant started) {
    JobEntity job = jobs.lockById(id).orElseThrow(() -> new RunStopped(StopToken.Reason.CANCELLED));
    if (!job.runBy(attempt)) {
      throw new RunStopped(StopToken.Reason.LOST); // another attempt owns (or has ended) the job
    }
    if (job.cancelRequested) {
      throw new RunStopped(StopToken.Reason.CANCELLED);
    }
    ArtifactStore.delete(target);
    try {
      Files.move(packed, target, StandardCopyOption.ATOMIC_MOVE);
      moved[0] = true;
    } catch (IOException e) {
      throw new UncheckedIOException("moving the outputs of job " + id, e);
    }
    Instant now = clock.instant();
    Map<String, JobView.Link> links = new LinkedHashMap<>();
    for (String kind : List.of("pruned", "masked", "scores", "report", "reportPage")) {
      Path file = target.resolve(fileName(kind));
      if (!Files.exists(file)) {
        continue; // no pruned/ when only masked/ can carry the selection
      }
      ArtifactEntity artifact = new ArtifactEntity();
      artifact.jobId = id;
      artifact.tenant = job.tenant;
      artifact.kind = kind;
      artifact.uri = store.uri(file);
      try {
        artifact.sha256 = ArtifactStore.sha256(file);
        artifact.bytes = Files.size(file);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      artifact.createdAt = now;
      artifacts.save(artifact);
      String href =
          switch (kind) {
            case "pruned", "masked" -> "/v1/jobs/" + id + "/artifacts/" + kind;
            case "reportPage" -> "/v1/jobs/" + id + "/report.html";
            default -> "/v1/jobs/" + id + "/" + kind;
          };
      links.put(kind, new JobView.Link(href, artifact.sha256, artifact.bytes));
    }
    PruneReport report = result.report();
    Set<List<Integer>> pruned = new HashSet<>();
    for (int[] head : report.artifact().prunedHeads()) {
      pruned.add(List.of(head[0], head[1]));
    }
    saveScores(job, null, result.scores().heads(), pruned);
    for (int seed = 0; seed < result.perSeed().size(); seed++) {
      saveScores(job, seed, result.perSeed().get(seed).heads(), Set.of());
    }
    for (PruneReport.EvaluationRow evaluation : report.evaluations()) {
      EvaluationEntity row = new EvaluationEntity();
      row.jobId = id;
      row.tenant = job.tenant;
      row.criterion = evaluation.criterion();
      row.sparsity = evaluation.sparsity();
      row.seed = evaluation.seed();
      row.metricName = evaluation.metric();
      row.metricValue = finite(evaluation.value());
      row.agreement = finite(evaluation.agreement());
      row.prunedHeads = Json.MAPPER.writeValueAsString(evaluation.prunedHeads());
      evaluations.save(row);
    }
    JobView.Result summary =
        new JobView.Result(
            report.artifact().criterion(),
            report.artifact().sparsity(),
            report.artifact().selection(),
            report.artifact().prunedHeads(),
            report.alpha().value(),
            report.dense(),
            report.speedup(),
            links,
            report.artifact().measured());
    job.succeed(Json.MAPPER.writeValueAsString(summary), now);
    Duration took = Duration.between(started, now);
    endings.ended(job, criterion, took, "succeeded in " + took.toMillis() / 1000.0 + " s");
  }

  /** The stored file of an output kind (an artifact row's kind). */
  static String fileName(String kind) {
    return switch (kind) {
      case "pruned", "masked" -> kind + ".tar.gz";
      case "reportPage" -> "report.html";
      default -> kind + ".json";
    };
  }

  /**
   * One row per head; seed null for the scores the artifact was selected with (pruned flags set).
   */
  private void saveScores(
      JobEntity job, Integer seed, List<HeadScore> heads, Set<List<Integer>> pruned) {
    for (HeadScore head : heads) {
      HeadScoreEntity row = new HeadScoreEntity();
      row.jobId = job.id;
      row.tenant = job.tenant;
      row.seed = seed;
      row.layer = head.layer();
      row.head = head.head();
      row.his = head.his();
      row.entropy = head.entropy();
      row.hisNorm = head.hisNorm();
      row.entropyNorm = head.entropyNorm();
      row.hies = head.hies();
      row.pruned = pruned.contains(List.of(head.layer(), head.head()));
      scores.save(row);
    }
  }

  private static Double finite(double value) {
    return Double.isFinite(value) ? value : null;
  }
}
