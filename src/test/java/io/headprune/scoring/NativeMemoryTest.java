package io.headprune.scoring;

import static org.assertj.core.api.Assertions.assertThat;

import io.headprune.progress.Progress;
import io.headprune.support.TinyBert;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.assertj.core.api.Assertions;
import org.junit.jupiter.api.Test;

/** Per-batch NDManager scopes: scoring batch after batch must not grow native memory. */
class NativeMemoryTest {

  /** Resident memory outside the JVM's own heaps (kB): native allocations such as tensors. */
  private static long nativeKilobytes() throws IOException {
    var memory = ManagementFactory.getMemoryMXBean();
    long jvm =
        memory.getHeapMemoryUsage().getCommitted() + memory.getNonHeapMemoryUsage().getCommitted();
    return residentKilobytes() - jvm / 1024;
  }

  private static long residentKilobytes() throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
      if (line.startsWith("VmRSS:")) {
        return Long.parseLong(line.replaceAll("\\D", ""));
      }
    }
    throw new IllegalStateException("no VmRSS in /proc/self/status");
  }

  @Test
  void scoringFiveHundredBatchesInARowDoesNotGrowNativeMemory() throws IOException {
    try (TinyBert tiny = TinyBert.load()) {
      List<Encoded> examples = new ArrayList<>();
      while (examples.size() < 4 * 500) {
        examples.addAll(tiny.calibration);
      }
      examples = examples.subList(0, 4 * 500);
      // warm-up: one whole pass, so that the allocator holds a block of every batch shape (batches
      // close on padding as well as on the count, so shapes vary) before the measured pass
      HeadScorer.score(tiny.model, examples, 4, Progress.NONE);
      System.gc();
      long before = nativeKilobytes();
      int[] batches = {0};
      HeadScorer.score(tiny.model, examples, 4, (phase, done, total) -> batches[0]++);
      System.gc();
      long growth = nativeKilobytes() - before;
      // at most 4 examples a batch, and fewer where padding would pass 10 %
      assertThat(batches[0]).isGreaterThanOrEqualTo(500);
      // Each batch allocates about 1 MB of tensors (4 layers of activations, attentions and
      // gradients): a leak would add about 500 MB here.
      assertThat(growth).as("native memory growth in kB").isLessThan(64 * 1024);
      assertThat(tiny.model.manager().getManagedArrays().size())
          .as("arrays left on the weights' manager")
          .isLessThanOrEqualTo(initialArrays(tiny));
    }
  }

  private static int initialArrays(TinyBert tiny) {
    // embeddings 3 + LayerNorm 2, per layer 16 (6 dense layers × 2 + 2 LayerNorms × 2), pooler 2,
    // classifier 2
    return 5 + 16 * tiny.model.heads().length + 4;
  }

  @Test
  void gradientsStayExactWhileTheGarbageCollectorRuns() throws InterruptedException {
    // DJL frees the scalar of mul(Number) at once; if the graph kept it, the backward pass read
    // freed memory once the collector ran, and scores turned into NaN or 1e18 now and then
    try (TinyBert tiny = TinyBert.load()) {
      List<Encoded> sample = tiny.calibration.subList(0, 48);
      RawScores reference = HeadScorer.score(tiny.model, sample, 16, Progress.NONE);
      AtomicBoolean running = new AtomicBoolean(true);
      Thread churn =
          new Thread(
              () -> {
                while (running.get()) {
                  for (int i = 0; i < 64; i++) {
                    ByteBuffer.allocateDirect(1 << 16);
                  }
                  System.gc(); // frees unreachable direct buffers; a pause lets the scoring thread
                  // run
                  try {
                    Thread.sleep(20);
                  } catch (InterruptedException e) {
                    return;
                  }
                }
              });
      churn.start();
      try {
        for (int run = 0; run < 3; run++) {
          RawScores scores = HeadScorer.score(tiny.model, sample, 1, Progress.NONE);
          for (int l = 0; l < reference.his().length; l++) {
            for (int h = 0; h < reference.his()[l].length; h++) {
              assertThat(scores.his()[l][h])
                  .isCloseTo(
                      reference.his()[l][h], Assertions.within(1e-3 * reference.his()[l][h]));
            }
          }
        }
      } finally {
        running.set(false);
        churn.join();
      }
    }
  }
}
