package io.headprune.support;

import io.headprune.checkpoint.Json;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Webhook signatures checked by the Standard Webhooks project's own verifier (the npm package
 * {@code standardwebhooks}, at a pinned version), not by code of ours: what a receiver using that
 * library would accept.
 */
public final class StandardWebhooks {

  /** The verifier's version (tested here). */
  public static final String PACKAGE = "standardwebhooks@1.1.1";

  private static final String VERIFY =
      """
      const { Webhook } = require("standardwebhooks");
      const input = JSON.parse(require("fs").readFileSync(0, "utf8"));
      try {
        new Webhook(input.secret).verify(input.body, input.headers);
        console.log("verified");
      } catch (e) {
        console.log("refused: " + e.message);
      }
      """;

  private static Path installed;

  private StandardWebhooks() {}

  /** Whether npm and node are here to run the verifier. */
  public static boolean available() {
    return onPath("npm") && onPath("node");
  }

  /**
   * "verified", or "refused: <why>": the library's verdict on {@code body} with {@code headers}
   * (webhook-id, webhook-timestamp, webhook-signature) for {@code secret} ({@code whsec_<base64>}).
   */
  public static synchronized String verify(
      String secret, Map<String, String> headers, String body) {
    try {
      Path dir = install();
      Process node =
          new ProcessBuilder(List.of("node", dir.resolve("verify.js").toString()))
              .directory(dir.toFile())
              .redirectErrorStream(true)
              .start();
      node.getOutputStream()
          .write(
              Json.MAPPER.writeValueAsBytes(
                  Map.of("secret", secret, "headers", headers, "body", body)));
      node.getOutputStream().close();
      String out = new String(node.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
      node.waitFor(1, TimeUnit.MINUTES);
      return out;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  private static Path install() throws IOException, InterruptedException {
    if (installed != null) {
      return installed;
    }
    Path dir = Path.of("target", "standardwebhooks").toAbsolutePath();
    Files.createDirectories(dir);
    Files.writeString(dir.resolve("verify.js"), VERIFY);
    if (!Files.isDirectory(dir.resolve("node_modules/standardwebhooks"))) {
      Process npm =
          new ProcessBuilder(
                  List.of("npm", "install", "--no-save", "--no-audit", "--no-fund", PACKAGE))
              .directory(dir.toFile())
              .redirectErrorStream(true)
              .start();
      String out = new String(npm.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!npm.waitFor(5, TimeUnit.MINUTES) || npm.exitValue() != 0) {
        throw new IllegalStateException("npm install " + PACKAGE + " failed: " + out);
      }
    }
    installed = dir;
    return dir;
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
