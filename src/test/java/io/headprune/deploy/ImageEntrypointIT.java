package io.headprune.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import io.headprune.checkpoint.Json;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The image's entrypoint, run here: the packaged jar started with the Dockerfile's ENTRYPOINT and
 * ENV (paths and port moved to temporary ones), on the embedded default database; it becomes live
 * and ready, reports its engine, and exits promptly on SIGTERM.
 */
class ImageEntrypointIT {

  @TempDir Path scratch;

  /** ENV key=value pairs of the Dockerfile's final stage, continuation lines joined. */
  static Map<String, String> environment(String dockerfile) {
    String joined = dockerfile.replace("\\\n", " ");
    String last = joined.substring(joined.lastIndexOf("\nFROM "));
    Map<String, String> env = new LinkedHashMap<>();
    Matcher line = Pattern.compile("(?m)^ENV (.*)$").matcher(last);
    while (line.find()) {
      Matcher pair = Pattern.compile("([A-Z_]+)=(\"[^\"]*\"|\\S+)").matcher(line.group(1));
      while (pair.find()) {
        env.put(pair.group(1), pair.group(2).replaceAll("^\"|\"$", ""));
      }
    }
    return env;
  }

  static List<String> entrypoint(String dockerfile) {
    Matcher matcher = Pattern.compile("(?m)^ENTRYPOINT (\\[.*])$").matcher(dockerfile);
    assertThat(matcher.find()).isTrue();
    List<String> command = new ArrayList<>();
    Json.MAPPER.readTree(matcher.group(1)).forEach(part -> command.add(part.asString()));
    return command;
  }

  @Test
  void theEntrypointStartsLiveAndStopsOnSigterm() throws Exception {
    String dockerfile = Files.readString(Path.of("Dockerfile"));
    Map<String, String> env = environment(dockerfile);
    assertThat(env)
        .containsEntry("DJL_OFFLINE", "true")
        .containsKeys("DJL_CACHE_DIR", "HEADPRUNE_DATA_DIR", "HEADPRUNE_ROLE", "SERVER_PORT");
    int port;
    try (ServerSocket socket = new ServerSocket(0)) {
      port = socket.getLocalPort();
    }
    env.put("DJL_CACHE_DIR", scratch.resolve("djl").toString());
    env.put("HEADPRUNE_DATA_DIR", scratch.resolve("data").toString());
    env.put("SERVER_PORT", Integer.toString(port));
    List<String> command =
        entrypoint(dockerfile).stream()
            .map(
                part ->
                    part.equals("/app/headprune.jar")
                        ? Path.of("target/headprune.jar").toAbsolutePath().toString()
                        : part)
            .toList();
    assertThat(command.get(0)).isEqualTo("java");

    ProcessBuilder builder =
        new ProcessBuilder(command)
            .redirectErrorStream(true)
            .redirectOutput(scratch.resolve("log.txt").toFile());
    builder.environment().putAll(env);
    Process process = builder.start();
    try {
      HttpClient http = HttpClient.newHttpClient();
      Awaitility.await()
          .atMost(Duration.ofMinutes(3))
          .pollInterval(Duration.ofMillis(500))
          .ignoreExceptions()
          .until(() -> get(http, port, "/actuator/health/readiness").contains("\"status\":\"UP\""));
      assertThat(get(http, port, "/actuator/health/liveness")).contains("UP");
      // the first start wrote a platform-admin key to the data directory; info needs a key
      Path keyFile = scratch.resolve("data/admin.key");
      assertThat(keyFile).exists();
      String key = Files.readString(keyFile).strip();
      assertThat(get(http, port, "/actuator/info")).contains("\"status\":401");
      String info =
          http.send(
                  HttpRequest.newBuilder(URI.create("http://localhost:" + port + "/actuator/info"))
                      .header("Authorization", "Bearer " + key)
                      .build(),
                  HttpResponse.BodyHandlers.ofString())
              .body();
      assertThat(info).contains("pytorch").contains("2.7.1");
      assertThat(scratch.resolve("data/postgres/PG_VERSION")).exists();
    } finally {
      process.destroy(); // SIGTERM
      boolean exited = process.waitFor(90, TimeUnit.SECONDS);
      if (!exited) {
        process.destroyForcibly();
      }
      assertThat(exited).as(Files.readString(scratch.resolve("log.txt"))).isTrue();
    }
    assertThat(process.exitValue()).isIn(0, 143);
  }

  private static String get(HttpClient http, int port, String path)
      throws IOException, InterruptedException {
    return http.send(
            HttpRequest.newBuilder(URI.create("http://localhost:" + port + path)).build(),
            HttpResponse.BodyHandlers.ofString())
        .body();
  }
}
