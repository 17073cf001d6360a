package io.headprune.scoring;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.pytorch.jni.JniUtils;
import io.headprune.progress.Progress;
import io.headprune.support.TinyBert;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * PyTorch's autograd switch is per thread and on by default on every thread but the one that loaded
 * the engine: inference on a job's worker thread must switch it off, or every activation is kept
 * for a backward that never comes; scoring switches it on for its own extent only.
 */
class AutogradTest {

  @Test
  void inferenceOnAnotherThreadRecordsNothingAndScoringStillHasGradients() throws Exception {
    try (TinyBert tiny = TinyBert.load()) {
      AtomicReference<Boolean> fresh = new AtomicReference<>();
      AtomicReference<Boolean> afterInference = new AtomicReference<>();
      AtomicReference<Boolean> afterScoring = new AtomicReference<>();
      AtomicReference<RawScores> scores = new AtomicReference<>();
      Thread worker =
          new Thread(
              () -> {
                fresh.set(JniUtils.isGradMode());
                ModelRunner.logits(
                    tiny.model, tiny.evaluation.subList(0, 8), Set.of(), 8, Progress.NONE);
                afterInference.set(JniUtils.isGradMode());
                scores.set(
                    HeadScorer.score(tiny.model, tiny.calibration.subList(0, 8), 8, Progress.NONE));
                afterScoring.set(JniUtils.isGradMode());
              });
      worker.start();
      worker.join();
      assertThat(fresh.get()).as("a new thread starts with autograd on").isTrue();
      assertThat(afterInference.get()).as("after an inference pass").isFalse();
      assertThat(afterScoring.get()).as("scoring restores what it found").isFalse();
      assertThat(scores.get().his()[0])
          .as("gradients were still computed")
          .isNotEqualTo(new double[4]);
    }
  }
}
