package io.headprune.model;

import com.sun.jna.Library;
import com.sun.jna.Native;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How the engine's native threads share the machine with everything else in the process.
 *
 * <ul>
 *   <li>OpenMP threads that wait passively ({@code OMP_WAIT_POLICY=PASSIVE}) give their core back
 *       at once instead of spinning for it: with other work on the cores (request threads, a second
 *       job, other processes) spinning steals the time that work needs. The engine's OpenMP runtime
 *       reads the variable when its library is loaded, so it is set in this process's environment
 *       before that, unless the user set it.
 *   <li>A job's thread runs at a lower CPU priority (a nice value) than the threads that answer
 *       requests: on Linux the priority is per thread, and the threads the engine starts for a
 *       thread (OpenMP's team, PyTorch's inter-op pool) inherit it. A job then uses every idle
 *       cycle while a request still gets a core within a scheduling tick.
 * </ul>
 *
 * Both are Linux facilities reached through the C library (JNA, which DJL ships); elsewhere, or
 * where the C library refuses, they do nothing and say so once in the log.
 */
public final class NativeThreads {

  private static final Logger log = LoggerFactory.getLogger(NativeThreads.class);

  /** The variable and value that make OpenMP's idle threads sleep. */
  static final String WAIT_POLICY = "OMP_WAIT_POLICY";

  private static final int PRIO_PROCESS = 0;

  private static volatile boolean warned;

  private NativeThreads() {}

  /** The C functions used here (glibc; {@code gettid} since 2.30). */
  interface C extends Library {
    int setenv(String name, String value, int overwrite);

    String getenv(String name);

    int gettid();

    int getpriority(int which, int who);

    int setpriority(int which, int who, int priority);
  }

  private static final class Holder {
    static final C LIBC = load();

    private static C load() {
      if (!System.getProperty("os.name", "").toLowerCase(java.util.Locale.ROOT).contains("linux")) {
        return null;
      }
      try {
        return Native.load("c", C.class);
      } catch (LinkageError | RuntimeException e) {
        log.info(
            "the C library is not reachable ({}): native threads keep their defaults",
            e.toString());
        return null;
      }
    }
  }

  /**
   * Sets {@code OMP_WAIT_POLICY=PASSIVE} in this process's environment unless it is set; call it
   * before the engine loads. Returns the policy in effect ({@code null}: unknown).
   */
  public static String passiveOpenMpUnlessSet() {
    C c = Holder.LIBC;
    if (c == null) {
      return System.getenv(WAIT_POLICY);
    }
    try {
      c.setenv(WAIT_POLICY, "PASSIVE", 0);
      return c.getenv(WAIT_POLICY);
    } catch (LinkageError | RuntimeException e) {
      warnOnce("setenv", e);
      return System.getenv(WAIT_POLICY);
    }
  }

  /**
   * Lowers the calling thread's CPU priority to nice value {@code nice} (0 to 19) if it is higher;
   * an unprivileged thread cannot raise it again, so call it on a thread that only computes.
   * Returns the thread's nice value afterwards, or {@code Integer.MIN_VALUE} where this is not
   * possible.
   */
  public static int lowerThisThread(int nice) {
    if (nice < 0 || nice > 19) {
      throw new IllegalArgumentException("a nice value is 0 to 19, not " + nice);
    }
    C c = Holder.LIBC;
    if (c == null || nice == 0) {
      return current();
    }
    try {
      int tid = c.gettid();
      int now = c.getpriority(PRIO_PROCESS, tid);
      if (now < nice && c.setpriority(PRIO_PROCESS, tid, nice) != 0) {
        warnOnce("setpriority", new IllegalStateException("errno " + Native.getLastError()));
      }
      return c.getpriority(PRIO_PROCESS, tid);
    } catch (LinkageError | RuntimeException e) {
      warnOnce("setpriority", e);
      return Integer.MIN_VALUE;
    }
  }

  /** The calling thread's nice value, or {@code Integer.MIN_VALUE} where it is not known. */
  public static int current() {
    C c = Holder.LIBC;
    if (c == null) {
      return Integer.MIN_VALUE;
    }
    try {
      return c.getpriority(PRIO_PROCESS, c.gettid());
    } catch (LinkageError | RuntimeException e) {
      return Integer.MIN_VALUE;
    }
  }

  private static void warnOnce(String what, Throwable e) {
    if (!warned) {
      warned = true;
      log.warn(
          "{} is not available here ({}): native threads keep their defaults", what, e.toString());
    }
  }
}
