package io.headprune.jobs;

import ai.djl.Device;
import io.headprune.model.Devices;
import io.headprune.model.MemoryBudget;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.IntToLongFunction;

/**
 * The devices of this worker and the jobs running on them: up to {@code concurrency} jobs at once
 * per device entry ({@code headprune.worker.concurrency}), as long as the memory their models take
 * fits the entry's budget together — a job alone on an entry always runs (its model was checked
 * against the budget when it was submitted). Jobs wait their turn in arrival order, so a big model
 * waiting for memory is not passed for ever by small ones. The cores are divided among the jobs
 * running ({@link #threadsPerJob}).
 */
final class WorkerDevices {

  /** A job's place on a device entry, and the memory it holds there. */
  record Slot(int entry, Device device, long bytes) {}

  private final List<Device> devices;
  private final int concurrency;
  private final long[] pools;
  private final int[] running;
  private final long[] reserved;
  private final int cores;
  private long nextTicket;
  private long serving;

  WorkerDevices(String names) {
    this(names, 1, Runtime.getRuntime().availableProcessors());
  }

  WorkerDevices(String names, int concurrency, int cores) {
    this(Devices.parseList(names), concurrency, cores, pools(Devices.parseList(names)));
  }

  WorkerDevices(List<Device> devices, int concurrency, int cores, long[] pools) {
    if (concurrency < 1) {
      throw new IllegalArgumentException(
          "headprune.worker.concurrency must be at least 1, not " + concurrency);
    }
    this.devices = List.copyOf(devices);
    this.concurrency = concurrency;
    this.cores = Math.max(1, cores);
    this.pools = pools.clone();
    this.running = new int[devices.size()];
    this.reserved = new long[devices.size()];
  }

  /**
   * Each entry's memory: a GPU's own budget, the process's divided among the CPU entries (they
   * share one memory); an entry of several devices their sum.
   */
  private static long[] pools(List<Device> entries) {
    long cpus =
        entries.stream().flatMap(e -> e.getDevices().stream()).filter(d -> !d.isGpu()).count();
    long[] pools = new long[entries.size()];
    for (int e = 0; e < pools.length; e++) {
      for (Device device : entries.get(e).getDevices()) {
        long bytes =
            device.isGpu()
                ? MemoryBudget.on(device).bytes()
                : MemoryBudget.current().bytes() / cpus;
        pools[e] = saturatedSum(pools[e], bytes);
      }
    }
    return pools;
  }

  private static long saturatedSum(long a, long b) {
    return a > Long.MAX_VALUE - b ? Long.MAX_VALUE : a + b;
  }

  /** The configured devices. */
  List<Device> all() {
    return devices;
  }

  /** Jobs at once per device entry. */
  int concurrency() {
    return concurrency;
  }

  /** The memory entry {@code entry}'s jobs may take together. */
  long pool(int entry) {
    return pools[entry];
  }

  /**
   * Waits for a place on an entry with room for a job whose model takes {@code bytes} there (the
   * entry with the fewest jobs first), in arrival order.
   */
  synchronized Slot acquire(IntToLongFunction bytes) throws InterruptedException {
    long ticket = nextTicket++;
    try {
      while (true) {
        if (ticket == serving) {
          int best = -1;
          for (int e = 0; e < devices.size(); e++) {
            if (running[e] < concurrency
                && (running[e] == 0 || reserved[e] + bytes.applyAsLong(e) <= pools[e])
                && (best < 0 || running[e] < running[best])) {
              best = e;
            }
          }
          if (best >= 0) {
            long taken = bytes.applyAsLong(best);
            running[best]++;
            reserved[best] += taken;
            return new Slot(best, devices.get(best), taken);
          }
        }
        waiting++;
        try {
          wait();
        } finally {
          waiting--;
        }
      }
    } finally {
      // served or interrupted: the next in line may try
      if (ticket == serving) {
        serving++;
      } else {
        skipped.add(ticket);
      }
      while (skipped.remove(serving)) {
        serving++;
      }
      notifyAll();
    }
  }

  private final Set<Long> skipped = new HashSet<>();
  private int waiting;

  /** The jobs waiting for a place. */
  synchronized int waiting() {
    return waiting;
  }

  /** Gives a job's place and memory back. */
  synchronized void release(Slot slot) {
    running[slot.entry()]--;
    reserved[slot.entry()] -= slot.bytes();
    notifyAll();
  }

  /** The jobs running now. */
  synchronized int running() {
    int jobs = 0;
    for (int count : running) {
      jobs += count;
    }
    return jobs;
  }

  /** The cores a running job's compute may use now: this worker's, divided among its jobs. */
  synchronized int threadsPerJob() {
    return Math.max(1, cores / Math.max(1, running()));
  }
}
