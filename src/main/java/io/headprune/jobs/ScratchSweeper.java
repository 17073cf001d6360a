package io.headprune.jobs;

import io.headprune.storage.ArtifactStore;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.context.event.EventListener;
import org.springframework.stereotype.Component;

/**
 * Removes, when the service starts, the scratch a killed process left behind: the scratch of jobs
 * that have ended (or been deleted) — a running or queued job's stays, another worker may own it —
 * and incoming uploads untouched for an hour.
 */
@Component
public class ScratchSweeper {

  private static final Logger log = LoggerFactory.getLogger(ScratchSweeper.class);

  /** How long an incoming upload may go untouched before it counts as abandoned. */
  static final Duration ABANDONED = Duration.ofHours(1);

  private final ArtifactStore store;
  private final Repositories.JobRows jobs;
  private final Clock clock;

  ScratchSweeper(ArtifactStore store, Repositories.JobRows jobs, Clock clock) {
    this.store = store;
    this.jobs = jobs;
    this.clock = clock;
  }

  @EventListener(ApplicationReadyEvent.class)
  void atStart() {
    try {
      sweep();
    } catch (RuntimeException e) { // the service runs without the sweep
      log.warn("the scratch sweep at start failed: {}", e.toString());
    }
  }

  /** Sweeps now; returns how many job scratch directories were removed. */
  public int sweep() {
    List<UUID> withScratch = store.jobsWithScratch();
    Map<UUID, JobEntity> rows =
        jobs.findAllById(withScratch).stream()
            .collect(Collectors.toMap(job -> job.id, Function.identity()));
    int removed = 0;
    for (UUID id : withScratch) {
      JobEntity job = rows.get(id);
      if (job == null || job.status.finished()) {
        store.removeScratch(id);
        removed++;
      }
    }
    int uploads = store.removeIncomingOlderThan(ABANDONED, clock.instant());
    if (removed + uploads > 0) {
      log.info("removed the scratch of {} ended jobs and {} abandoned uploads", removed, uploads);
    }
    return removed;
  }
}
