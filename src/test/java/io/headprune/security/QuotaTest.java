package io.headprune.security;

import static org.assertj.core.api.Assertions.assertThat;

import io.headprune.storage.ArchiveLimits;
import io.headprune.storage.Archives;
import io.headprune.storage.ArtifactStore;
import io.headprune.support.Archive;
import io.headprune.support.Fixtures;
import io.headprune.support.Instances;
import io.headprune.support.ServiceTest;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.springframework.core.io.FileSystemResource;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.util.LinkedMultiValueMap;
import org.springframework.web.client.RestClient;

/**
 * Quotas per tenant, enforced in the database: concurrent requests of one tenant take turns on its
 * row, so a limit admits exactly that many. An api-only process: queued jobs stay queued.
 */
@SuppressWarnings({"rawtypes", "unchecked"})
class QuotaTest extends ServiceTest {

  /**
   * The example model's stored size: the quota admits it and 200 bytes more (a small dataset, not
   * its calib.jsonl).
   */
  private static long modelBytes() {
    try {
      Path archive = Archive.tarGz(Fixtures.tinyBert(), Files.createTempFile("model", ".tar.gz"));
      Path unpacked = Files.createTempDirectory("model");
      Archives.extract(archive, "model.tar.gz", unpacked, new ArchiveLimits(100, 1L << 30, 1000));
      return ArtifactStore.size(unpacked);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @DynamicPropertySource
  static void quotas(DynamicPropertyRegistry registry) {
    registry.add("headprune.role", () -> "api");
    registry.add("db-scheduler.enabled", () -> "false");
    registry.add("headprune.quota.queued-jobs", () -> "5");
    registry.add("headprune.quota.uploads-per-hour", () -> "4");
    registry.add("headprune.quota.stored-bytes", () -> (modelBytes() + 200) + "B");
  }

  private RestClient tenant(String name) {
    String key =
        (String)
            http.post()
                .uri("/v1/keys")
                .contentType(MediaType.APPLICATION_JSON)
                .body(Map.of("tenant", name, "role", "member"))
                .retrieve()
                .body(Map.class)
                .get("key");
    return Instances.client(port, key);
  }

  private static ResponseEntity<Map> upload(RestClient client, String path, Path file) {
    LinkedMultiValueMap<String, Object> parts = new LinkedMultiValueMap<>();
    parts.add("file", new FileSystemResource(file));
    return client
        .post()
        .uri(path)
        .contentType(MediaType.MULTIPART_FORM_DATA)
        .body(parts)
        .retrieve()
        .toEntity(Map.class);
  }

  private Map usage(String tenant) {
    return http.get().uri("/v1/tenants/" + tenant + "/usage").retrieve().body(Map.class);
  }

  @Test
  void twentyConcurrentSubmissionsAtALimitOfFiveAdmitExactlyFive() throws Exception {
    RestClient client = tenant("queue-limited");
    String model =
        (String)
            upload(
                    client,
                    "/v1/models",
                    Archive.tarGz(Fixtures.tinyBert(), DATA.resolve("quota-model.tar.gz")))
                .getBody()
                .get("id");
    Path data = DATA.resolve("quota-calib.jsonl");
    Files.writeString(
        data, "{\"text\": \"one\", \"label\": 0}\n{\"text\": \"two\", \"label\": 1}\n");
    String calibration = (String) upload(client, "/v1/datasets", data).getBody().get("id");
    String body =
        "{\"model\": {\"id\": \""
            + model
            + "\"}, \"calibration\": {\"id\": \""
            + calibration
            + "\"}}";
    ExecutorService pool = Executors.newFixedThreadPool(20);
    List<Future<ResponseEntity<Map>>> answers = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      Callable<ResponseEntity<Map>> submit =
          () ->
              client
                  .post()
                  .uri("/v1/jobs")
                  .contentType(MediaType.APPLICATION_JSON)
                  .body(body)
                  .retrieve()
                  .toEntity(Map.class);
      answers.add(pool.submit(submit));
    }
    int accepted = 0;
    for (Future<ResponseEntity<Map>> answer : answers) {
      ResponseEntity<Map> response = answer.get();
      if (response.getStatusCode().value() == 202) {
        accepted++;
      } else {
        assertThat(response.getStatusCode().value())
            .as(String.valueOf(response.getBody()))
            .isEqualTo(429);
        assertThat(response.getHeaders().getFirst("Retry-After")).matches("\\d+");
        assertThat(response.getBody())
            .containsEntry("quota", "queued-jobs")
            .containsEntry("limit", 5)
            .containsEntry("used", 5);
      }
    }
    pool.shutdown();
    assertThat(accepted).isEqualTo(5);
    assertThat(usage("queue-limited")).containsEntry("queuedJobs", 5);
    // one tenant's full queue is not another's
    assertThat(usage("default").get("queuedJobs")).isEqualTo(0);
  }

  @Test
  void storedBytesCountWhatIsKeptAndNothingOfAFailedUpload() throws IOException {
    RestClient client = tenant("store-limited");
    Path broken = DATA.resolve("broken.tar.gz");
    Files.write(broken, new byte[] {0x1f, (byte) 0x8b, 8, 0, 0, 0});
    assertThat(upload(client, "/v1/models", broken).getStatusCode().value()).isEqualTo(422);
    assertThat(usage("store-limited")).containsEntry("storedBytes", 0);

    ResponseEntity<Map> model =
        upload(
            client,
            "/v1/models",
            Archive.tarGz(Fixtures.tinyBert(), DATA.resolve("store-model.tar.gz")));
    assertThat(model.getStatusCode().value()).isEqualTo(201);
    Map usage = usage("store-limited");
    assertThat(((Number) usage.get("storedBytes")).longValue()).isEqualTo(modelBytes());
    assertThat(((Number) ((Map) usage.get("limits")).get("storedBytes")).longValue())
        .isEqualTo(modelBytes() + 200);

    ResponseEntity<Map> refused =
        upload(client, "/v1/datasets", Fixtures.tinyBert().resolve("calib.jsonl"));
    assertThat(refused.getStatusCode().value()).isEqualTo(413);
    assertThat(refused.getHeaders().getContentType().toString())
        .isEqualTo("application/problem+json");
    assertThat(refused.getBody()).containsEntry("quota", "stored-bytes");
    assertThat((String) refused.getBody().get("detail")).contains("quota stored-bytes");
    assertThat(((Number) usage("store-limited").get("storedBytes")).longValue())
        .isEqualTo(modelBytes());
    try (var incoming = Files.list(DATA.resolve("artifacts").resolve("incoming"))) {
      assertThat(incoming.toList()).as("nothing of a refused upload is left").isEmpty();
    }
    // deleting frees the bytes
    assertThat(
            client
                .delete()
                .uri("/v1/models/" + model.getBody().get("id"))
                .retrieve()
                .toBodilessEntity()
                .getStatusCode()
                .value())
        .isEqualTo(204);
    assertThat(usage("store-limited")).containsEntry("storedBytes", 0);
  }

  @Test
  void uploadsPerHourAre429WithRetryAfter() throws IOException {
    RestClient client = tenant("rate-limited");
    for (int i = 0; i < 4; i++) {
      Path data = DATA.resolve("rate-" + i + ".jsonl");
      Files.writeString(data, "{\"text\": \"upload " + i + "\", \"label\": 0}\n");
      assertThat(upload(client, "/v1/datasets", data).getStatusCode().value()).isEqualTo(201);
    }
    Path fifth = DATA.resolve("rate-5.jsonl");
    Files.writeString(fifth, "{\"text\": \"upload 5\", \"label\": 0}\n");
    ResponseEntity<Map> refused = upload(client, "/v1/datasets", fifth);
    assertThat(refused.getStatusCode().value()).isEqualTo(429);
    assertThat(refused.getBody())
        .containsEntry("quota", "uploads-per-hour")
        .containsEntry("limit", 4)
        .containsEntry("used", 4);
    long retry = Long.parseLong(refused.getHeaders().getFirst("Retry-After"));
    assertThat(retry).isBetween(3500L, 3601L);
  }
}
