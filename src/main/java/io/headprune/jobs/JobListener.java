package io.headprune.jobs;

import io.headprune.progress.Phase;
import java.util.UUID;

/** Observes running jobs on this worker (e.g. for logging); called on the job's thread. */
public interface JobListener {

  /** A running job reported progress. */
  void onProgress(UUID job, int attempt, Phase phase, long done, long total);
}
