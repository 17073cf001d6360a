package io.headprune.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.function.Predicate;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.BeforeEach;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.http.MediaType;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.web.client.RestClient;

/** A running service on a random port, a fresh database and a fresh data directory per class. */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
public abstract class ServiceTest {

  protected static final Path DATA = temporary();

  @LocalServerPort protected int port;

  protected RestClient http;

  private static Path temporary() {
    try {
      return Files.createTempDirectory("headprune-test");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @DynamicPropertySource
  static void properties(DynamicPropertyRegistry registry) {
    TestDatabase.Database database = TestDatabase.fresh();
    registry.add("spring.datasource.url", database::url);
    registry.add("spring.datasource.username", database::username);
    registry.add("spring.datasource.password", database::password);
    registry.add("headprune.data-dir", DATA::toString);
    registry.add("headprune.worker.devices", () -> "cpu");
    registry.add("headprune.security.admin-key", () -> Instances.ADMIN_KEY);
    registry.add("headprune.worker.progress-interval", () -> "0s");
    // long polling: jobs must start through immediate execution, not the next poll
    registry.add("db-scheduler.polling-interval", () -> "30s");
  }

  @BeforeEach
  void client() {
    http = Instances.client(port);
  }

  /** Uploads a file as multipart {@code file}; returns the response body. */
  protected Map<String, Object> upload(String path, Path file) {
    return Instances.upload(http, path, file);
  }

  private static Path exampleModel;

  /** The example model as a .tar.gz (built once, so the same bytes every time). */
  protected static synchronized Path exampleModelArchive() {
    if (exampleModel == null) {
      exampleModel = Archive.tarGz(Fixtures.tinyBert(), DATA.resolve("upload-model.tar.gz"));
    }
    return exampleModel;
  }

  /** GET a JSON object. */
  @SuppressWarnings("unchecked")
  protected Map<String, Object> get(String path) {
    return http.get().uri(path).retrieve().body(Map.class);
  }

  /** Submits a job request (JSON) and returns its id. */
  protected String submitJob(String body) {
    return (String)
        http.post()
            .uri("/v1/jobs")
            .contentType(MediaType.APPLICATION_JSON)
            .body(body)
            .retrieve()
            .toEntity(Map.class)
            .getBody()
            .get("id");
  }

  /** Polls job {@code id} until {@code condition} holds (at most two minutes). */
  protected Map<String, Object> awaitJob(String id, Predicate<Map<String, Object>> condition) {
    return Awaitility.await()
        .atMost(Duration.ofMinutes(2))
        .pollInterval(Duration.ofMillis(200))
        .until(() -> get("/v1/jobs/" + id), condition);
  }
}
