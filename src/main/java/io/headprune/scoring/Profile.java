package io.headprune.scoring;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Wall time per named part of repeated work, summed over the process and printed on stderr at exit:
 * what {@code -Dheadprune.profile=true} shows. Off, it costs one branch per part.
 */
final class Profile {

  private final String name;
  private final boolean on;
  private final Map<String, long[]> parts = new LinkedHashMap<>();

  private Profile(String name, boolean on) {
    this.name = name;
    this.on = on;
  }

  static Profile named(String name, boolean on) {
    Profile profile = new Profile(name, on);
    if (on) {
      Runtime.getRuntime().addShutdownHook(new Thread(profile::print, "profile"));
    }
    return profile;
  }

  /** Adds the time since {@code since} (a {@link System#nanoTime()}) to {@code part}; now. */
  long add(String part, long since) {
    if (!on) {
      return since;
    }
    long now = System.nanoTime();
    synchronized (parts) {
      long[] entry = parts.computeIfAbsent(part, p -> new long[2]);
      entry[0] += now - since;
      entry[1]++;
    }
    return now;
  }

  private void print() {
    synchronized (parts) {
      long total = parts.values().stream().mapToLong(e -> e[0]).sum();
      System.err.printf("profile of %s: %.0f ms in all%n", name, total / 1e6);
      parts.forEach(
          (part, entry) ->
              System.err.printf(
                  "  %-28s %9.1f ms %5.1f %%  (%d times)%n",
                  part, entry[0] / 1e6, 100.0 * entry[0] / Math.max(total, 1), entry[1]));
    }
  }
}
