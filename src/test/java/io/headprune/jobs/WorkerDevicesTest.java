package io.headprune.jobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.Device;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Several jobs on one worker: places per device entry, memory held together within the entry's
 * budget, arrival order, and the cores divided among the running jobs.
 */
class WorkerDevicesTest {

  private final ExecutorService threads = Executors.newCachedThreadPool();

  @AfterEach
  void stop() {
    threads.shutdownNow();
  }

  @Test
  void twoJobsRunAtOnceOnOneDeviceWhenTheirModelsFitTogether() throws Exception {
    WorkerDevices devices = new WorkerDevices(List.of(Device.cpu()), 2, 2, new long[] {100});
    WorkerDevices.Slot first = devices.acquire(e -> 60);
    assertThat(devices.threadsPerJob()).isEqualTo(2);
    Future<WorkerDevices.Slot> second = threads.submit(() -> devices.acquire(e -> 40));
    WorkerDevices.Slot slot = second.get();
    assertThat(slot.device()).isEqualTo(Device.cpu());
    assertThat(devices.running()).isEqualTo(2);
    assertThat(devices.threadsPerJob()).as("the cores divided").isEqualTo(1);

    // a third finds no place (concurrency 2) until one ends
    Future<WorkerDevices.Slot> third = threads.submit(() -> devices.acquire(e -> 1));
    awaitWaiting(devices, 1);
    assertThat(third.isDone()).isFalse();
    devices.release(first);
    assertThat(third.get().bytes()).isEqualTo(1);
    devices.release(slot);
    assertThat(devices.threadsPerJob()).isEqualTo(2);
  }

  @Test
  void aModelThatDoesNotFitBesideTheRunningOneWaitsAndThoseBehindItToo() throws Exception {
    WorkerDevices devices = new WorkerDevices(List.of(Device.cpu()), 3, 2, new long[] {100});
    WorkerDevices.Slot running = devices.acquire(e -> 70);
    Future<WorkerDevices.Slot> big = threads.submit(() -> devices.acquire(e -> 50));
    awaitWaiting(devices, 1);
    // a small one arriving later would fit, but waits its turn behind the big one
    Future<WorkerDevices.Slot> small = threads.submit(() -> devices.acquire(e -> 10));
    awaitWaiting(devices, 2);
    assertThat(big.isDone()).isFalse();
    assertThat(small.isDone()).isFalse();
    devices.release(running);
    assertThat(big.get().bytes()).isEqualTo(50);
    assertThat(small.get().bytes()).isEqualTo(10);
    assertThat(devices.running()).isEqualTo(2);
  }

  @Test
  void aJobAloneRunsWhateverItsModelTakesAndJobsSpreadOverEntries() throws Exception {
    WorkerDevices devices =
        new WorkerDevices(List.of(Device.cpu(), Device.cpu()), 2, 4, new long[] {100, 100});
    WorkerDevices.Slot huge = devices.acquire(e -> 1000);
    assertThat(huge.entry()).isEqualTo(0);
    WorkerDevices.Slot next = devices.acquire(e -> 10);
    assertThat(next.entry()).as("the entry with the fewest jobs").isEqualTo(1);
    assertThat(devices.threadsPerJob()).isEqualTo(2);
  }

  @Test
  void aWaitingJobThatIsInterruptedLeavesTheLineToTheNext() throws Exception {
    WorkerDevices devices = new WorkerDevices(List.of(Device.cpu()), 1, 2, new long[] {100});
    WorkerDevices.Slot running = devices.acquire(e -> 10);
    CompletableFuture<Thread> waiter = new CompletableFuture<>();
    Future<WorkerDevices.Slot> interrupted =
        threads.submit(
            () -> {
              waiter.complete(Thread.currentThread());
              return devices.acquire(e -> 10);
            });
    awaitWaiting(devices, 1);
    Future<WorkerDevices.Slot> behind = threads.submit(() -> devices.acquire(e -> 10));
    awaitWaiting(devices, 2);
    waiter.get().interrupt();
    assertThatThrownBy(interrupted::get).hasCauseInstanceOf(InterruptedException.class);
    devices.release(running);
    assertThat(behind.get().bytes()).isEqualTo(10);
  }

  @Test
  void concurrencyIsAtLeastOne() {
    assertThatThrownBy(() -> new WorkerDevices(List.of(Device.cpu()), 0, 2, new long[] {1}))
        .hasMessageContaining("headprune.worker.concurrency must be at least 1");
  }

  /** Waits until {@code count} callers wait in {@link WorkerDevices#acquire}. */
  private static void awaitWaiting(WorkerDevices devices, int count) {
    Awaitility.await()
        .atMost(Duration.ofSeconds(10))
        .pollInterval(Duration.ofMillis(5))
        .until(() -> devices.waiting() == count);
  }
}
