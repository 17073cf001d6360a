package io.headprune.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.djl.pytorch.jni.JniUtils;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntSupplier;
import org.junit.jupiter.api.Test;

class NativeThreadsTest {

  private static int onNewThread(IntSupplier work) throws InterruptedException {
    AtomicInteger result = new AtomicInteger(Integer.MAX_VALUE);
    Thread thread = new Thread(() -> result.set(work.getAsInt()));
    thread.start();
    thread.join();
    return result.get();
  }

  @Test
  void aJobThreadIsLoweredAndTheThreadsItStartsInheritIt() throws Exception {
    assumeTrue(NativeThreads.current() != Integer.MIN_VALUE, "needs Linux's C library");
    int before = NativeThreads.current();
    int[] child = new int[1];
    int lowered =
        onNewThread(
            () -> {
              int now = NativeThreads.lowerThisThread(Math.max(before, 10));
              try {
                // as OpenMP's team and PyTorch's pools are started by the thread that first
                // computes
                child[0] = onNewThread(NativeThreads::current);
              } catch (InterruptedException e) {
                throw new IllegalStateException(e);
              }
              return now;
            });

    assertThat(lowered).isEqualTo(Math.max(before, 10));
    assertThat(child[0]).isEqualTo(lowered);
    assertThat(NativeThreads.current()).as("the calling thread is untouched").isEqualTo(before);
  }

  @Test
  void aJobsShareOfTheCoresIsItsThreadsOwnAndPyTorchSeesIt() throws Exception {
    int others = onNewThread(NativeThreads::teamOfThisThread);
    assumeTrue(others > 0, "needs the engine's libgomp");
    int[] seen = new int[1];
    int set =
        onNewThread(
            () -> {
              int team = NativeThreads.shareThisThread(1);
              seen[0] = JniUtils.getNumThreads();
              return team;
            });
    assertThat(set).isEqualTo(1);
    assertThat(seen[0]).as("PyTorch's intra-op count on that thread").isEqualTo(1);
    if (Runtime.getRuntime().availableProcessors() > 1) {
      assertThat(onNewThread(JniUtils::getNumThreads))
          .as("other threads keep the engine's count")
          .isGreaterThan(1);
    }
  }

  @Test
  void aThreadIsNeverRaised() throws Exception {
    assumeTrue(NativeThreads.current() != Integer.MIN_VALUE, "needs Linux's C library");
    int result =
        onNewThread(
            () -> {
              NativeThreads.lowerThisThread(15);
              return NativeThreads.lowerThisThread(5);
            });

    assertThat(result).isEqualTo(15);
  }

  @Test
  void niceValuesOutsideZeroToNineteenAreRefused() {
    assertThatThrownBy(() -> NativeThreads.lowerThisThread(20))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> NativeThreads.lowerThisThread(-1))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void openMpWaitsPassivelyUnlessTheUserSaidOtherwise() {
    assumeTrue(NativeThreads.current() != Integer.MIN_VALUE, "needs Linux's C library");
    String given = System.getenv(NativeThreads.WAIT_POLICY);

    assertThat(NativeThreads.passiveOpenMpUnlessSet()).isEqualTo(given != null ? given : "PASSIVE");
  }
}
