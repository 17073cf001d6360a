package io.headprune.model;

import ai.djl.pytorch.jni.JniUtils;
import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
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
 *   <li>Jobs side by side in one worker divide the cores: OpenMP's team size is a per-thread
 *       setting ({@code omp_set_num_threads} on the calling thread, in the libgomp the engine
 *       loaded), so each job's thread sets its share and the parallel regions it starts use that
 *       many threads.
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
      if (!System.getProperty("os.name", "").toLowerCase(Locale.ROOT).contains("linux")) {
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

  /** The engine's OpenMP runtime (libgomp, as mapped into this process), or null. */
  private static final class OpenMp {
    static final NativeLibrary LIB = find();

    private static NativeLibrary find() {
      try {
        Devices.engine(); // loads the native libraries
        for (String line : Files.readAllLines(Path.of("/proc/self/maps"))) {
          int path = line.indexOf('/');
          if (path >= 0 && line.substring(path).contains("libgomp")) {
            return NativeLibrary.getInstance(line.substring(path));
          }
        }
        log.info("the engine has no libgomp: jobs side by side share its threads");
      } catch (IOException | LinkageError | RuntimeException e) {
        log.info("OpenMP is not reachable ({}): jobs side by side share its threads", e.toString());
      }
      return null;
    }
  }

  /**
   * Sets the calling thread's OpenMP team to {@code threads} (at least 1), what the engine's
   * parallel operations started from this thread use; call it on the thread that computes. PyTorch
   * sets a thread's team once, at its first parallel operation, so that is done first. Returns the
   * team size in effect, or -1 where OpenMP is not reachable.
   */
  public static int shareThisThread(int threads) {
    NativeLibrary lib = OpenMp.LIB;
    if (lib == null) {
      return -1;
    }
    try {
      JniUtils.getNumThreads(); // PyTorch's per-thread initialisation
      lib.getFunction("omp_set_num_threads").invokeVoid(new Object[] {Math.max(1, threads)});
      return teamOfThisThread();
    } catch (LinkageError | RuntimeException e) {
      warnOnce("omp_set_num_threads", e);
      return -1;
    }
  }

  /** The engine's intra-op thread count (what a thread that sets no share of its own uses). */
  public static int engineThreads() {
    Devices.engine();
    return JniUtils.getNumThreads();
  }

  /** The OpenMP team size of the calling thread's next parallel region, or -1. */
  public static int teamOfThisThread() {
    NativeLibrary lib = OpenMp.LIB;
    return lib == null ? -1 : lib.getFunction("omp_get_max_threads").invokeInt(new Object[0]);
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
