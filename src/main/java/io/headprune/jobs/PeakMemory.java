package io.headprune.jobs;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The process's peak resident memory since the last reset, from Linux's {@code VmHWM}, reset by
 * writing 5 to {@code /proc/self/clear_refs}: what a phase of a job took at most (with whatever
 * else the process ran meanwhile).
 */
final class PeakMemory {

  private static final Path STATUS = Path.of("/proc/self/status");
  private static final Path CLEAR_REFS = Path.of("/proc/self/clear_refs");

  private PeakMemory() {}

  /** The peak in bytes since the last reset (or the start), then a reset; -1 where unmeasurable. */
  static synchronized long readAndReset() {
    long peak = -1;
    try {
      for (String line : Files.readAllLines(STATUS)) {
        if (line.startsWith("VmHWM:")) {
          peak = Long.parseLong(line.replaceAll("\\D", "")) * 1024;
        }
      }
      Files.writeString(CLEAR_REFS, "5");
    } catch (IOException | RuntimeException e) {
      // not Linux, or not allowed: the peak stays unknown (or is not reset: then it is the
      // process's)
    }
    return peak;
  }
}
