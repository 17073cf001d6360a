package io.headprune.service;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * openapi.yaml passes Redocly's linter with its recommended rules (errors fail; the one warning,
 * info-license, names a licence the project has not chosen). Redocly comes from npm at a pinned
 * version; .ci/run installs Node.js when the machine lacks it, so CI never skips this.
 */
class OpenApiLintTest {

  /** The Redocly CLI version this runs (tested here). */
  static final String REDOCLY = "@redocly/cli@2.77.0";

  @Test
  void theContractPassesRedoclysRecommendedRules() throws IOException, InterruptedException {
    assumeTrue(onPath("npx"), "npx (Node.js) is not installed: .ci/run installs it");
    Process lint =
        new ProcessBuilder(
                List.of("npx", "--yes", REDOCLY, "lint", "openapi.yaml", "--format=stylish"))
            .redirectErrorStream(true)
            .start();
    lint.getOutputStream().close();
    String output = new String(lint.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(lint.waitFor(5, TimeUnit.MINUTES)).isTrue();
    assertThat(lint.exitValue()).as(output).isZero();
    assertThat(output).contains("Your API description is valid").doesNotContain(" error ");
  }

  private static boolean onPath(String command) {
    for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
      if (new File(dir, command).canExecute()) {
        return true;
      }
    }
    return false;
  }
}
