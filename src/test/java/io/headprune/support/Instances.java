package io.headprune.support;

import io.headprune.HeadpruneApplication;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.core.io.FileSystemResource;
import org.springframework.http.MediaType;
import org.springframework.util.LinkedMultiValueMap;
import org.springframework.web.client.RestClient;

/** Service instances started by hand (several on one database), and HTTP helpers for them. */
public final class Instances {

  private Instances() {}

  /** The platform-admin key every test instance is started with (headprune.security.admin-key). */
  public static final String ADMIN_KEY = "hp_test-admin-key-0123456789abcdefghijklmnop";

  /**
   * Starts an instance on {@code database} with artifacts under {@code data}; settings are
   * command-line arguments, so they win over application.yml. {@code extra} adds configuration
   * classes (test listeners). Unless {@code settings} say otherwise, the first start creates the
   * platform-admin key {@link #ADMIN_KEY}.
   */
  public static ConfigurableApplicationContext start(
      TestDatabase.Database database, Path data, List<String> settings, Class<?>... extra) {
    Class<?>[] sources =
        Stream.concat(Stream.of(HeadpruneApplication.class), Stream.of(extra))
            .toArray(Class<?>[]::new);
    List<String> arguments =
        new ArrayList<>(
            List.of(
                "--server.port=0",
                "--spring.datasource.url=" + database.url(),
                "--spring.datasource.username=" + database.username(),
                "--spring.datasource.password=" + database.password(),
                "--headprune.data-dir=" + data,
                "--headprune.worker.devices=cpu",
                "--headprune.worker.progress-interval=0s"));
    if (settings.stream().noneMatch(s -> s.startsWith("--headprune.security.admin-key"))) {
      arguments.add("--headprune.security.admin-key=" + ADMIN_KEY);
    }
    arguments.addAll(settings);
    return new SpringApplicationBuilder(sources).run(arguments.toArray(String[]::new));
  }

  /** A client of a started instance that returns every status instead of throwing. */
  public static RestClient client(ConfigurableApplicationContext context) {
    int port = ((WebServerApplicationContext) context).getWebServer().getPort();
    return client(port);
  }

  /**
   * A client of the service on {@code port}, with the admin key, that returns every status instead
   * of throwing.
   */
  public static RestClient client(int port) {
    return client(port, ADMIN_KEY);
  }

  /** A client of the service on {@code port} with API key {@code key} (null: none). */
  public static RestClient client(int port, String key) {
    RestClient.Builder builder =
        RestClient.builder()
            .baseUrl("http://localhost:" + port)
            .defaultStatusHandler(status -> true, (request, response) -> {})
            .requestInterceptor(Contract.COMMITTED.interceptor());
    if (key != null) {
      builder.defaultHeader("Authorization", "Bearer " + key);
    }
    return builder.build();
  }

  /** Uploads {@code file} as the multipart part {@code file}; returns the response body. */
  @SuppressWarnings("unchecked")
  public static Map<String, Object> upload(RestClient http, String path, Path file) {
    LinkedMultiValueMap<String, Object> parts = new LinkedMultiValueMap<>();
    parts.add("file", new FileSystemResource(file));
    return http.post()
        .uri(path)
        .contentType(MediaType.MULTIPART_FORM_DATA)
        .body(parts)
        .retrieve()
        .body(Map.class);
  }

  /** Submits a small job (one seed, one criterion) on the example model; returns its id. */
  @SuppressWarnings("unchecked")
  public static String submitSmallJob(
      RestClient http, Path data, int seeds, int calibrationSize, int batchSize) {
    Map<String, Object> model =
        upload(http, "/v1/models", Archive.tarGz(Fixtures.tinyBert(), data.resolve("m.tar.gz")));
    Map<String, Object> calibration =
        upload(http, "/v1/datasets", Fixtures.tinyBert().resolve("calib.jsonl"));
    String body =
        """
        {"model": {"id": "%s"}, "calibration": {"id": "%s"}, "criteria": ["hies"], "sparsities": [0.25],
         "target": {"sparsity": 0.25}, "seeds": %d, "calibrationSize": %d, "batchSize": %d}
        """
            .formatted(model.get("id"), calibration.get("id"), seeds, calibrationSize, batchSize);
    return submit(http, body);
  }

  /** Submits the job request {@code body}; returns the job's id. */
  public static String submit(RestClient http, String body) {
    return (String)
        http.post()
            .uri("/v1/jobs")
            .contentType(MediaType.APPLICATION_JSON)
            .body(body)
            .retrieve()
            .body(Map.class)
            .get("id");
  }
}
