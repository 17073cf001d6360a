package io.headprune.model;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * What DJL 0.36's PyTorch engine allows of 16-bit floats, each tried in a child JVM because the
 * failures are native aborts: float16 converts both ways; a bfloat16 tensor cannot be made at all —
 * from a buffer, from float32 or as zeros, the process ends with {@code terminate called without an
 * active exception} (SIGABRT, exit 134). So BF16 weights are widened to float32 in Java, a layer at
 * a time when the model streams ({@code Floats.toFloat32}).
 */
class HalfPrecisionTest {

  record Outcome(int exit, String output) {}

  private static Outcome probe(String mode) throws IOException, InterruptedException {
    Path java = Path.of(System.getProperty("java.home"), "bin", "java");
    Process process =
        new ProcessBuilder(
                List.of(
                    java.toString(),
                    "-cp",
                    System.getProperty("java.class.path"),
                    "-Dai.djl.offline=true",
                    HalfPrecisionProbe.class.getName(),
                    mode))
            .redirectErrorStream(true)
            .start();
    process.getOutputStream().close();
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(process.waitFor(2, TimeUnit.MINUTES)).isTrue();
    return new Outcome(process.exitValue(), output);
  }

  @Test
  void float16ConvertsBothWays() throws Exception {
    Outcome outcome = probe("f16-from-float32");
    assertThat(outcome.exit()).as(outcome.output()).isZero();
    assertThat(outcome.output()).contains("float16 [1.5, -2.25, 3.0, 0.099975586]");
  }

  @Test
  void bfloat16TensorsAbortTheProcessHoweverTheyAreMade() throws Exception {
    for (String mode : List.of("bf16-from-buffer", "bf16-from-float32", "bf16-zeros")) {
      Outcome outcome = probe(mode);
      assertThat(outcome.exit()).as(mode + ": " + outcome.output()).isEqualTo(134);
      assertThat(outcome.output())
          .as(mode)
          .contains("terminate called without an active exception")
          .doesNotContain("bfloat16 [");
    }
  }
}
