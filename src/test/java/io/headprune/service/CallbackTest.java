package io.headprune.service;

import static org.assertj.core.api.Assertions.assertThat;

import io.headprune.checkpoint.Json;
import io.headprune.support.Archive;
import io.headprune.support.Fixtures;
import io.headprune.support.ServiceTest;
import io.headprune.support.StandardWebhooks;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * A job's completion callback: POSTed signed when it ends, a 500 retried, each attempt shown on the
 * job, the secret never stored in the clear or shown.
 */
@SuppressWarnings({"rawtypes", "unchecked"})
class CallbackTest extends ServiceTest {

  static final MockWebServer RECEIVER = receiver();
  static final String SECRET = "a-shared-secret-of-enough-length";

  @Autowired JdbcTemplate sql;

  private static MockWebServer receiver() {
    MockWebServer server = new MockWebServer();
    server.enqueue(new MockResponse.Builder().code(500).build());
    server.enqueue(new MockResponse.Builder().code(204).build());
    try {
      server.start();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return server;
  }

  @DynamicPropertySource
  static void callbacks(DynamicPropertyRegistry registry) {
    registry.add(
        "headprune.security.key-encryption-key",
        () -> "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=");
    registry.add("headprune.callbacks.allowed-hosts", () -> "localhost");
    registry.add(
        "headprune.callbacks.allow-private-networks", () -> "true"); // the receiver is local
    registry.add("headprune.callbacks.allow-http", () -> "true");
    registry.add("headprune.callbacks.first-retry", () -> "200ms");
    registry.add(
        "db-scheduler.polling-interval", () -> "500ms"); // a retry is found by the next poll
  }

  @AfterAll
  static void stop() {
    RECEIVER.close();
  }

  @Test
  void theTerminalStatusIsPostedSignedAndA500IsRetried() throws Exception {
    String model =
        (String)
            upload("/v1/models", Archive.tarGz(Fixtures.tinyBert(), DATA.resolve("cb.tar.gz")))
                .get("id");
    String calibration =
        (String) upload("/v1/datasets", Fixtures.tinyBert().resolve("calib.jsonl")).get("id");
    String url = "http://localhost:" + RECEIVER.getPort() + "/hooks/headprune";
    ResponseEntity<Map> submitted =
        http.post()
            .uri("/v1/jobs")
            .contentType(MediaType.APPLICATION_JSON)
            .body(
                """
                {"model": {"id": "%s"}, "calibration": {"id": "%s"}, "criteria": ["hies"], "sparsities": [0.25],
                 "target": {"sparsity": 0.25}, "seeds": 1, "calibrationSize": 16,
                 "callback": {"url": "%s", "secret": "%s"}}"""
                    .formatted(model, calibration, url, SECRET))
            .retrieve()
            .toEntity(Map.class);
    assertThat(submitted.getStatusCode().value())
        .as(String.valueOf(submitted.getBody()))
        .isEqualTo(202);
    String id = (String) submitted.getBody().get("id");

    Map<String, Object> job =
        Awaitility.await()
            .atMost(Duration.ofMinutes(2))
            .pollInterval(Duration.ofMillis(200))
            .until(
                () -> get("/v1/jobs/" + id),
                j ->
                    j.get("callback") != null
                        && ((Map) j.get("callback")).get("deliveredAt") != null);
    assertThat(job.get("status")).isEqualTo("SUCCEEDED");
    List<Map> attempts = (List<Map>) ((Map) job.get("callback")).get("attempts");
    assertThat(attempts).extracting(a -> a.get("status")).containsExactly(500, 204);
    assertThat(((Map) job.get("callback")).get("url")).isEqualTo(url);
    // the listing shows the same delivery record (read for its whole page at once)
    List<Map> listed = (List<Map>) get("/v1/jobs?size=200").get("items");
    assertThat(listed.stream().filter(j -> id.equals(j.get("id"))).findFirst().orElseThrow())
        .containsEntry("callback", job.get("callback"));

    RecordedRequest first = RECEIVER.takeRequest(5, TimeUnit.SECONDS);
    RecordedRequest second = RECEIVER.takeRequest(5, TimeUnit.SECONDS);
    for (RecordedRequest request : List.of(first, second)) {
      String body = request.getBody().utf8();
      String timestamp = request.getHeaders().get("X-Headprune-Timestamp");
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(SECRET.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
      String expected =
          "sha256="
              + HexFormat.of()
                  .formatHex(
                      mac.doFinal((timestamp + "." + body).getBytes(StandardCharsets.UTF_8)));
      assertThat(request.getHeaders().get("X-Headprune-Signature")).isEqualTo(expected);
      Map<String, Object> posted = Json.MAPPER.readValue(body, Map.class);
      assertThat(posted).containsEntry("id", id).containsEntry("status", "SUCCEEDED");
      assertThat(body).doesNotContain(SECRET);
    }
    assertThat(first.getHeaders().get("X-Headprune-Delivery")).isEqualTo("1");
    assertThat(second.getHeaders().get("X-Headprune-Delivery")).isEqualTo("2");
    // Standard Webhooks: one event, one id on every retry; each attempt verified by the standard's
    // own library, given the secret as its users write it (whsec_ and the key's base64)
    assertThat(first.getHeaders().get("webhook-id"))
        .startsWith("msg_")
        .isEqualTo(second.getHeaders().get("webhook-id"));
    if (StandardWebhooks.available()) {
      String standardSecret =
          "whsec_" + Base64.getEncoder().encodeToString(SECRET.getBytes(StandardCharsets.UTF_8));
      for (RecordedRequest request : List.of(first, second)) {
        Map<String, String> headers = new HashMap<>();
        for (String name : List.of("webhook-id", "webhook-timestamp", "webhook-signature")) {
          headers.put(name, request.getHeaders().get(name));
        }
        String body = request.getBody().utf8();
        assertThat(StandardWebhooks.verify(standardSecret, headers, body)).isEqualTo("verified");
        assertThat(StandardWebhooks.verify(standardSecret, headers, body + " "))
            .startsWith("refused");
      }
    }

    // the secret is nowhere in the clear: not in the stored request, not in any view
    assertThat(sql.queryForObject("select request from jobs where id = ?::uuid", String.class, id))
        .contains(url)
        .doesNotContain(SECRET);
    byte[] stored =
        sql.queryForObject("select secret from callbacks where job_id = ?::uuid", byte[].class, id);
    assertThat(new String(stored, StandardCharsets.ISO_8859_1)).doesNotContain(SECRET);
    assertThat(http.get().uri("/v1/jobs/" + id).retrieve().body(String.class))
        .doesNotContain(SECRET);

    // a host the allow-list does not name is refused at submission
    ResponseEntity<Map> refused =
        http.post()
            .uri("/v1/jobs")
            .contentType(MediaType.APPLICATION_JSON)
            .body(
                """
                {"model": {"id": "%s"}, "calibration": {"id": "%s"},
                 "callback": {"url": "https://metadata.internal/latest", "secret": "%s"}}"""
                    .formatted(model, calibration, SECRET))
            .retrieve()
            .toEntity(Map.class);
    assertThat(refused.getStatusCode().value()).isEqualTo(422);
    assertThat((String) refused.getBody().get("detail")).contains("is not allowed");
  }

  @Test
  void deletingAJobTakesItsPendingCallbackDeliveryWithIt() throws Exception {
    String model =
        (String)
            upload("/v1/models", Archive.tarGz(Fixtures.tinyBert(), DATA.resolve("cb2.tar.gz")))
                .get("id");
    String calibration =
        (String) upload("/v1/datasets", Fixtures.tinyBert().resolve("calib.jsonl")).get("id");
    int closed;
    try (var socket = new ServerSocket(0)) {
      closed = socket.getLocalPort(); // nobody listens there once the socket is closed
    }
    String id =
        (String)
            http.post()
                .uri("/v1/jobs")
                .contentType(MediaType.APPLICATION_JSON)
                .body(
                    """
                    {"model": {"id": "%s"}, "calibration": {"id": "%s"}, "criteria": ["hies"],
                     "sparsities": [0.25], "target": {"sparsity": 0.25}, "seeds": 1,
                     "calibrationSize": 16,
                     "callback": {"url": "http://localhost:%d/hook", "secret": "%s"}}"""
                        .formatted(model, calibration, closed, SECRET))
                .retrieve()
                .body(Map.class)
                .get("id");
    http.post().uri("/v1/jobs/" + id + "/cancel").retrieve().toBodilessEntity();
    // ended, and its first delivery failed: a retry waits in the scheduler
    Awaitility.await()
        .atMost(Duration.ofMinutes(2))
        .pollInterval(Duration.ofMillis(100))
        .until(
            () -> get("/v1/jobs/" + id),
            j ->
                j.get("callback") != null
                    && !((List) ((Map) j.get("callback")).get("attempts")).isEmpty());

    http.delete().uri("/v1/jobs/" + id).retrieve().toBodilessEntity();

    // nothing of the job is left to run (a delivery being run at this instant finds no row)
    assertThat(
            sql.queryForObject(
                "select count(*) from scheduled_tasks where task_name = 'deliver-callback'"
                    + " and task_instance = ? and not picked",
                Integer.class,
                id))
        .isZero();
  }
}
