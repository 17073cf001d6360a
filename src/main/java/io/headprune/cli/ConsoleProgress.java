package io.headprune.cli;

import io.headprune.progress.Phase;
import io.headprune.progress.Progress;
import java.io.PrintWriter;
import java.util.Locale;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * Progress lines on stderr, with the phase's unit and an estimate of the time left: {@code score:
 * batch 3/10 (30%), about 12 s left}. At the start and end of a phase and at most once a second
 * between.
 */
final class ConsoleProgress implements Progress {

  private final PrintWriter err;
  private final LongSupplier nanos;
  private Phase phase;
  private long phaseStart;
  private long lastPrint;
  private String lastLine = "";
  private String lastFull = "";

  /** When the run made its plan (nanos), and its passes done and still to come by it (§8). */
  private long plannedAt = -1;

  private long passesDone;
  private long passesRemaining;

  ConsoleProgress(PrintWriter err, LongSupplier nanos) {
    this.err = err;
    this.nanos = nanos;
  }

  /** What one unit of a phase is. */
  static String unit(Phase phase) {
    return switch (phase) {
      case LOAD -> "row";
      case ALPHA -> "trial";
      case TARGET -> "evaluation";
      case WRITE -> "output";
      default -> "batch";
    };
  }

  @Override
  public void report(Phase phase, long done, long total) {
    long now = nanos.getAsLong();
    boolean newPhase = phase != this.phase;
    if (newPhase) {
      this.phase = phase;
      phaseStart = now;
    }
    if (newPhase || done == total || now - lastPrint > 1_000_000_000L) {
      StringBuilder line = new StringBuilder();
      line.append(
          String.format(
              Locale.ROOT,
              "%s: %s %d/%d (%d%%)",
              phase.id(),
              unit(phase),
              done,
              total,
              total == 0 ? 100 : 100 * done / total));
      if (done > 0 && done < total) {
        double perUnit = (now - phaseStart) / 1e9 / done;
        line.append(
            String.format(Locale.ROOT, ", about %s left", duration(perUnit * (total - done))));
      }
      String phaseLine = line.toString();
      if (plannedAt >= 0 && passesDone > 0 && passesRemaining > 0) {
        // the plan bounds what remains, so the job's estimate is an upper one
        double perPass = (now - plannedAt) / 1e9 / passesDone;
        line.append(
            String.format(
                Locale.ROOT,
                "; job %d%%, at most %s left",
                100 * passesDone / (passesDone + passesRemaining),
                duration(perPass * passesRemaining)));
      }
      // an inner step re-reporting its phase says nothing new, unless a second has passed and the
      // job's share has moved
      if (!phaseLine.equals(lastLine)
          || (now - lastPrint > 1_000_000_000L && !line.toString().equals(lastFull))) {
        err.println(line);
        err.flush();
        lastLine = phaseLine;
        lastFull = line.toString();
        lastPrint = now;
      }
    }
  }

  @Override
  public void planned(Map<Phase, Long> passes) {
    plannedAt = nanos.getAsLong();
  }

  @Override
  public void passes(long done, long remaining) {
    passesDone = done;
    passesRemaining = remaining;
  }

  static String duration(double seconds) {
    if (seconds < 90) {
      return Math.round(seconds) + " s";
    }
    if (seconds < 5400) {
      return Math.round(seconds / 60) + " min";
    }
    return String.format(Locale.ROOT, "%.1f h", seconds / 3600);
  }
}
