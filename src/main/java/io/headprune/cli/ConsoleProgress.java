package io.headprune.cli;

import io.headprune.scoring.Phase;
import io.headprune.scoring.Progress;
import java.io.PrintWriter;

/** Progress lines on stderr: at the start and end of a phase and at most once a second between. */
final class ConsoleProgress implements Progress {

  private final PrintWriter err;
  private Phase phase;
  private long lastPrint;

  ConsoleProgress(PrintWriter err) {
    this.err = err;
  }

  @Override
  public void report(Phase phase, long done, long total) {
    long now = System.nanoTime();
    boolean newPhase = phase != this.phase;
    if (newPhase || done == total || now - lastPrint > 1_000_000_000L) {
      err.printf(
          "%s: %d/%d (%d%%)%n", phase.id(), done, total, total == 0 ? 100 : 100 * done / total);
      err.flush();
      this.phase = phase;
      lastPrint = now;
    }
  }
}
