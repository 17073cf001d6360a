package io.headprune.security;

import static org.assertj.core.api.Assertions.assertThat;

import io.headprune.checkpoint.Json;
import io.headprune.support.Archive;
import io.headprune.support.Fixtures;
import io.headprune.support.Instances;
import io.headprune.support.ServiceTest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.UUID;
import java.util.function.Function;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.springframework.core.io.FileSystemResource;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.util.LinkedMultiValueMap;
import org.springframework.web.client.RestClient;
import org.yaml.snakeyaml.Yaml;

/**
 * Tenant B against tenant A's resources, for every operation openapi.yaml declares (a new operation
 * without a row here fails the test): another tenant's id answers exactly as a missing one (404),
 * admin actions on another tenant are 403, and no response carries A's ids.
 */
@SuppressWarnings({"rawtypes", "unchecked"})
class TenantIsolationTest extends ServiceTest {

  private record Row(int status, Function<RestClient, ResponseEntity<String>> call) {}

  private String createKey(String tenant, String role) {
    return (String)
        http.post()
            .uri("/v1/keys")
            .contentType(MediaType.APPLICATION_JSON)
            .body(Map.of("tenant", tenant, "role", role))
            .retrieve()
            .body(Map.class)
            .get("key");
  }

  private static ResponseEntity<String> upload(RestClient client, String path, Path file) {
    LinkedMultiValueMap<String, Object> parts = new LinkedMultiValueMap<>();
    parts.add("file", new FileSystemResource(file));
    return client
        .post()
        .uri(path)
        .contentType(MediaType.MULTIPART_FORM_DATA)
        .body(parts)
        .retrieve()
        .toEntity(String.class);
  }

  private static Map<String, Object> json(ResponseEntity<String> response) {
    return Json.MAPPER.readValue(response.getBody(), Map.class);
  }

  /** Every "METHOD /path" of the committed openapi.yaml. */
  private static List<String> operations() throws IOException {
    Map<String, Object> document = new Yaml().load(Files.readString(Path.of("openapi.yaml")));
    List<String> operations = new ArrayList<>();
    ((Map<String, Map<String, Object>>) document.get("paths"))
        .forEach(
            (path, methods) ->
                methods.keySet().stream()
                    .filter(m -> List.of("get", "post", "put", "delete", "patch").contains(m))
                    .forEach(m -> operations.add(m.toUpperCase() + " " + path)));
    return operations;
  }

  @Test
  void anotherTenantsResourcesAnswerAsMissingOnes() throws IOException {
    String alphaKey = createKey("alpha", "admin");
    RestClient alpha = Instances.client(port, alphaKey);
    String betaKey = createKey("beta", "admin");
    RestClient beta = Instances.client(port, betaKey);

    Path modelArchive = Archive.tarGz(Fixtures.tinyBert(), DATA.resolve("isolation-model.tar.gz"));
    Path calib = Fixtures.tinyBert().resolve("calib.jsonl");
    ResponseEntity<String> alphaModelUpload = upload(alpha, "/v1/models", modelArchive);
    assertThat(alphaModelUpload.getStatusCode().value()).isEqualTo(201);
    String model = (String) json(alphaModelUpload).get("id");
    String dataset = (String) json(upload(alpha, "/v1/datasets", calib)).get("id");
    String submit =
        """
        {"model": {"id": "%s"}, "calibration": {"id": "%s"}, "criteria": ["hies"], "sparsities": [0.25],
         "target": {"sparsity": 0.25}, "seeds": 1, "calibrationSize": 16}"""
            .formatted(model, dataset);
    String job =
        (String)
            alpha
                .post()
                .uri("/v1/jobs")
                .contentType(MediaType.APPLICATION_JSON)
                .body(submit)
                .retrieve()
                .body(Map.class)
                .get("id");
    Awaitility.await()
        .atMost(Duration.ofMinutes(2))
        .pollInterval(Duration.ofMillis(200))
        .until(
            () -> alpha.get().uri("/v1/jobs/" + job).retrieve().body(Map.class).get("status"),
            "SUCCEEDED"::equals);
    String alphaPrefix = alphaKey.substring(0, 11);
    List<String> secrets = List.of(model, dataset, job, alphaPrefix, alphaKey);

    Map<String, Row> matrix = new LinkedHashMap<>();
    // the same bytes are a new model of B's own: nothing says A has them
    matrix.put("POST /v1/models", new Row(201, c -> upload(c, "/v1/models", modelArchive)));
    matrix.put(
        "GET /v1/models/{id}",
        new Row(404, c -> c.get().uri("/v1/models/" + model).retrieve().toEntity(String.class)));
    matrix.put(
        "DELETE /v1/models/{id}",
        new Row(404, c -> c.delete().uri("/v1/models/" + model).retrieve().toEntity(String.class)));
    matrix.put(
        "GET /v1/models",
        new Row(200, c -> c.get().uri("/v1/models").retrieve().toEntity(String.class)));
    matrix.put(
        "PATCH /v1/models/{id}",
        new Row(
            404,
            c ->
                c.patch()
                    .uri("/v1/models/" + model)
                    .contentType(MediaType.APPLICATION_JSON)
                    .body("{\"name\": \"taken\"}")
                    .retrieve()
                    .toEntity(String.class)));
    matrix.put(
        "GET /v1/datasets",
        new Row(200, c -> c.get().uri("/v1/datasets").retrieve().toEntity(String.class)));
    matrix.put(
        "PATCH /v1/datasets/{id}",
        new Row(
            404,
            c ->
                c.patch()
                    .uri("/v1/datasets/" + dataset)
                    .contentType(MediaType.APPLICATION_JSON)
                    .body("{\"labels\": {\"taken\": \"yes\"}}")
                    .retrieve()
                    .toEntity(String.class)));
    matrix.put("POST /v1/datasets", new Row(201, c -> upload(c, "/v1/datasets", calib)));
    matrix.put(
        "GET /v1/datasets/{id}",
        new Row(
            404, c -> c.get().uri("/v1/datasets/" + dataset).retrieve().toEntity(String.class)));
    matrix.put(
        "DELETE /v1/datasets/{id}",
        new Row(
            404, c -> c.delete().uri("/v1/datasets/" + dataset).retrieve().toEntity(String.class)));
    matrix.put(
        "GET /v1/jobs",
        new Row(200, c -> c.get().uri("/v1/jobs").retrieve().toEntity(String.class)));
    matrix.put(
        "POST /v1/jobs",
        new Row(
            404,
            c ->
                c.post()
                    .uri("/v1/jobs")
                    .contentType(MediaType.APPLICATION_JSON)
                    .body(submit)
                    .retrieve()
                    .toEntity(String.class)));
    matrix.put(
        "GET /v1/jobs/{id}",
        new Row(404, c -> c.get().uri("/v1/jobs/" + job).retrieve().toEntity(String.class)));
    matrix.put(
        "DELETE /v1/jobs/{id}",
        new Row(404, c -> c.delete().uri("/v1/jobs/" + job).retrieve().toEntity(String.class)));
    matrix.put(
        "POST /v1/jobs/{id}/cancel",
        new Row(
            404,
            c -> c.post().uri("/v1/jobs/" + job + "/cancel").retrieve().toEntity(String.class)));
    matrix.put(
        "POST /v1/jobs/{id}/push",
        new Row(
            404,
            c ->
                c.post()
                    .uri("/v1/jobs/" + job + "/push")
                    .contentType(MediaType.APPLICATION_JSON)
                    .body("{\"repo\": \"beta/stolen\"}")
                    .retrieve()
                    .toEntity(String.class)));
    matrix.put(
        "GET /v1/jobs/{id}/events",
        new Row(
            404,
            c -> c.get().uri("/v1/jobs/" + job + "/events").retrieve().toEntity(String.class)));
    matrix.put(
        "GET /v1/jobs/{id}/scores",
        new Row(
            404,
            c -> c.get().uri("/v1/jobs/" + job + "/scores").retrieve().toEntity(String.class)));
    matrix.put(
        "GET /v1/jobs/{id}/heads",
        new Row(
            404, c -> c.get().uri("/v1/jobs/" + job + "/heads").retrieve().toEntity(String.class)));
    matrix.put(
        "GET /v1/jobs/{id}/evaluations",
        new Row(
            404,
            c ->
                c.get().uri("/v1/jobs/" + job + "/evaluations").retrieve().toEntity(String.class)));
    matrix.put(
        "GET /v1/jobs/{id}/report.html",
        new Row(
            404,
            c ->
                c.get().uri("/v1/jobs/" + job + "/report.html").retrieve().toEntity(String.class)));
    matrix.put(
        "GET /v1/jobs/{id}/report",
        new Row(
            404,
            c -> c.get().uri("/v1/jobs/" + job + "/report").retrieve().toEntity(String.class)));
    matrix.put(
        "GET /v1/jobs/{id}/artifacts/{kind}",
        new Row(
            404,
            c ->
                c.get()
                    .uri("/v1/jobs/" + job + "/artifacts/pruned")
                    .retrieve()
                    .toEntity(String.class)));
    matrix.put(
        "GET /v1/keys",
        new Row(200, c -> c.get().uri("/v1/keys").retrieve().toEntity(String.class)));
    matrix.put(
        "POST /v1/keys",
        new Row(
            403,
            c ->
                c.post()
                    .uri("/v1/keys")
                    .contentType(MediaType.APPLICATION_JSON)
                    .body(Map.of("tenant", "alpha", "role", "read"))
                    .retrieve()
                    .toEntity(String.class)));
    matrix.put(
        "DELETE /v1/keys/{prefix}",
        new Row(
            404, c -> c.delete().uri("/v1/keys/" + alphaPrefix).retrieve().toEntity(String.class)));
    matrix.put(
        "GET /v1/tenants/{id}/usage",
        new Row(
            403, c -> c.get().uri("/v1/tenants/alpha/usage").retrieve().toEntity(String.class)));
    matrix.put(
        "PUT /v1/tenants/{id}/hub-token",
        new Row(
            403,
            c ->
                c.put()
                    .uri("/v1/tenants/alpha/hub-token")
                    .contentType(MediaType.APPLICATION_JSON)
                    .body(Map.of("token", "hf_stolen"))
                    .retrieve()
                    .toEntity(String.class)));
    matrix.put(
        "DELETE /v1/tenants/{id}/hub-token",
        new Row(
            403,
            c -> c.delete().uri("/v1/tenants/alpha/hub-token").retrieve().toEntity(String.class)));
    matrix.put(
        "GET /v1/audit",
        new Row(403, c -> c.get().uri("/v1/audit?tenant=alpha").retrieve().toEntity(String.class)));

    assertThat(new TreeSet<>(matrix.keySet()))
        .as("a row per operation of openapi.yaml")
        .isEqualTo(new TreeSet<>(operations()));
    for (var row : matrix.entrySet()) {
      ResponseEntity<String> response = row.getValue().call().apply(beta);
      assertThat(response.getStatusCode().value())
          .as(row.getKey() + ": " + response.getBody())
          .isEqualTo(row.getValue().status());
      String body = String.valueOf(response.getBody());
      for (String secret : secrets) {
        assertThat(body)
            .as(row.getKey() + " must not show tenant alpha's " + secret)
            .doesNotContain(secret);
      }
      if (row.getValue().status() == 404) {
        assertThat(response.getHeaders().getContentType().toString())
            .isEqualTo("application/problem+json");
      }
    }
    // a 404 for A's id reads exactly like one for an id nobody has
    String missing = UUID.randomUUID().toString();
    Map other = beta.get().uri("/v1/jobs/" + job).retrieve().body(Map.class);
    Map none = beta.get().uri("/v1/jobs/" + missing).retrieve().body(Map.class);
    assertThat(other.get("detail")).isEqualTo(none.get("detail"));
    assertThat(beta.get().uri("/v1/audit").retrieve().body(String.class))
        .doesNotContain(model)
        .doesNotContain(job);

    // A's resources are untouched by all of B's attempts
    assertThat(alpha.get().uri("/v1/jobs/" + job).retrieve().body(Map.class).get("status"))
        .isEqualTo("SUCCEEDED");
    assertThat(
            alpha
                .get()
                .uri("/v1/models/" + model)
                .retrieve()
                .toBodilessEntity()
                .getStatusCode()
                .value())
        .isEqualTo(200);
    assertThat(
            alpha
                .get()
                .uri("/v1/jobs/" + job + "/artifacts/masked")
                .retrieve()
                .toBodilessEntity()
                .getStatusCode()
                .value())
        .isEqualTo(200);
    List<Map> alphaJobs =
        (List<Map>) alpha.get().uri("/v1/jobs").retrieve().body(Map.class).get("items");
    assertThat(alphaJobs).extracting(j -> j.get("id")).containsExactly(job);
    Map audit = alpha.get().uri("/v1/audit").retrieve().body(Map.class);
    assertThat(((List<Map>) audit.get("items")))
        .extracting(a -> a.get("action"))
        .containsExactly("job.submit", "dataset.upload", "model.upload", "key.create");

    // README's example: B's key beside A's in a second Authorization header is refused, not read
    // as either key (the first would be A's view of the job)
    ResponseEntity<String> twoKeys =
        Instances.client(port, null)
            .get()
            .uri("/v1/jobs/" + job)
            .headers(
                h -> {
                  h.add("Authorization", "Bearer " + betaKey);
                  h.add("Authorization", "Bearer " + alphaKey);
                })
            .retrieve()
            .toEntity(String.class);
    assertThat(twoKeys.getStatusCode().value()).isEqualTo(400);
    assertThat(json(twoKeys).get("detail"))
        .isEqualTo("header Authorization is given 2 times; send it once");
    assertThat(twoKeys.getBody()).doesNotContain("SUCCEEDED");
  }
}
