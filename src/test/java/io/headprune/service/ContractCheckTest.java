package io.headprune.service;

import static org.assertj.core.api.Assertions.assertThat;

import io.headprune.support.Contract;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;

/**
 * The contract checker that every test client runs on every response can fail: responses the
 * contract does not describe, made up here, are caught, and a faithful one passes.
 */
class ContractCheckTest {

  private static final String JOB = "/v1/jobs/0b6f3c1e-2a51-4c1e-9d7a-5f0e8d2c4b11";

  private static final String QUEUED =
      """
      {"id": "0b6f3c1e-2a51-4c1e-9d7a-5f0e8d2c4b11", "status": "%s",
       "name": null, "labels": {}, "externalId": null, "pool": "default", "request": null,
       "model": {"id": null, "hub": "org/model", "revision": "main", "commit": null},
       "data": {"calibration": {"id": "5a1f3c1e-2a51-4c1e-9d7a-5f0e8d2c4b11", "hub": null},
                "calibrations": [], "evaluation": null},
       "progress": {"phase": "queued", "done": 0, "total": 0, "fraction": 0.0, "eta": null},
       "plan": null, "peakMemory": null,
       "createdAt": "2026-11-30T01:00:00Z", "startedAt": null, "finishedAt": null,
       "attempt": 0, "error": null, "result": null, "callback": null}
      """;

  private static List<String> check(
      String method, String path, int status, MediaType type, String body) {
    HttpHeaders headers = new HttpHeaders();
    if (type != null) {
      headers.setContentType(type);
    }
    return Contract.COMMITTED.violations(
        method, path, status, headers, body.getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void aFaithfulJobPasses() {
    assertThat(check("GET", JOB, 200, MediaType.APPLICATION_JSON, QUEUED.formatted("QUEUED")))
        .isEmpty();
  }

  @Test
  void aStatusOutsideTheEnumFails() {
    assertThat(check("GET", JOB, 200, MediaType.APPLICATION_JSON, QUEUED.formatted("DONE")))
        .singleElement()
        .asString()
        .contains("status");
  }

  @Test
  void aFieldOfTheWrongTypeFails() {
    String body = QUEUED.formatted("QUEUED").replace("\"attempt\": 0", "\"attempt\": \"zero\"");
    assertThat(check("GET", JOB, 200, MediaType.APPLICATION_JSON, body)).isNotEmpty();
  }

  @Test
  void aNullWhereTheContractPromisesAValueFails() {
    String body = QUEUED.formatted("QUEUED").replace("\"2026-11-30T01:00:00Z\"", "null");
    assertThat(check("GET", JOB, 200, MediaType.APPLICATION_JSON, body))
        .anySatisfy(v -> assertThat(v).contains("createdAt"));
  }

  @Test
  void anUndescribedStatusFails() {
    assertThat(check("GET", JOB, 418, MediaType.APPLICATION_JSON, "{}"))
        .singleElement()
        .asString()
        .contains("418 is not among");
  }

  @Test
  void aSubmissionWithoutLocationFails() {
    assertThat(
            check("POST", "/v1/jobs", 202, MediaType.APPLICATION_JSON, QUEUED.formatted("QUEUED")))
        .containsExactly("required header Location is missing");
  }

  @Test
  void aBodyOnANoContentAnswerFails() {
    assertThat(check("DELETE", JOB, 204, MediaType.APPLICATION_JSON, "{}"))
        .singleElement()
        .asString()
        .contains("no body");
  }

  @Test
  void anUndeclaredMediaTypeFails() {
    assertThat(check("GET", JOB, 200, MediaType.TEXT_PLAIN, "QUEUED"))
        .singleElement()
        .asString()
        .contains("Content-Type text/plain");
  }

  @Test
  void aProblemWithAnUnknownTypeUriFails() {
    String problem =
        "{\"type\": \"about:blank\", \"title\": \"Not found\", \"status\": 404, \"detail\": \"x\","
            + " \"instance\": \"urn:uuid:0b6f3c1e-2a51-4c1e-9d7a-5f0e8d2c4b11\"}";
    assertThat(check("GET", JOB, 404, MediaType.APPLICATION_PROBLEM_JSON, problem)).isNotEmpty();
    assertThat(
            check(
                "GET",
                JOB,
                404,
                MediaType.APPLICATION_PROBLEM_JSON,
                problem.replace("about:blank", "https://headprune.io/problems/not-found")))
        .isEmpty();
  }

  @Test
  void aProblemOfAnotherKindThanItsStatusFails() {
    String problem = problem("conflict", "Conflict", 404);
    assertThat(check("GET", JOB, 404, MediaType.APPLICATION_PROBLEM_JSON, problem))
        .containsExactly("a https://headprune.io/problems/conflict problem answers 409, not 404");
  }

  @Test
  void aMethodThePathDoesNotHaveMustBeRefused() {
    assertThat(check("PUT", "/v1/jobs", 200, MediaType.APPLICATION_JSON, "{}"))
        .singleElement()
        .asString()
        .contains("no operation PUT");
  }

  @Test
  void metricsMayBeNaNButNotArbitraryStrings() {
    String scores =
        """
        {"model": {"name": "m", "architecture": "BertForSequenceClassification", "layers": 1,
                   "heads": 1, "headsPerLayer": [1], "parameters": 10},
         "examples": 4, "alpha": 0.5, "normalization": "global",
         "heads": [{"layer": 0, "head": 0, "his": %s, "entropy": 1.0, "hisNorm": 0.0,
                    "entropyNorm": 0.0, "hies": 0.5}]}
        """;
    assertThat(
            check(
                "GET",
                JOB + "/scores",
                200,
                MediaType.APPLICATION_JSON,
                scores.formatted("\"NaN\"")))
        .isEmpty();
    assertThat(
            check(
                "GET",
                JOB + "/scores",
                200,
                MediaType.APPLICATION_JSON,
                scores.formatted("\"big\"")))
        .isNotEmpty();
  }

  /** A whole problem of kind {@code kind} (a headprune type URI) with {@code status}. */
  private static String problem(String kind, String title, int status) {
    return ("{\"type\": \"https://headprune.io/problems/%s\", \"title\": \"%s\", \"status\": %d,"
            + " \"detail\": \"x\", \"instance\": \"urn:uuid:0b6f3c1e-2a51-4c1e-9d7a-5f0e8d2c4b11\"}")
        .formatted(kind, title, status);
  }

  private static final String NOT_FOUND =
      "{\"type\": \"https://headprune.io/problems/not-found\", \"title\": \"Not found\","
          + " \"status\": 404, \"detail\": \"x\", \"instance\": \"%s\"}";

  @Test
  void aProblemWithoutAnOccurrenceIdOrWithAPathForOneFails() {
    String valid = NOT_FOUND.formatted("urn:uuid:0b6f3c1e-2a51-4c1e-9d7a-5f0e8d2c4b11");
    assertThat(check("GET", JOB, 404, MediaType.APPLICATION_PROBLEM_JSON, valid)).isEmpty();
    assertThat(
            check(
                "GET",
                JOB,
                404,
                MediaType.APPLICATION_PROBLEM_JSON,
                valid.replace(
                    ", \"instance\": \"urn:uuid:0b6f3c1e-2a51-4c1e-9d7a-5f0e8d2c4b11\"", "")))
        .anySatisfy(v -> assertThat(v).contains("instance"));
    assertThat(check("GET", JOB, 404, MediaType.APPLICATION_PROBLEM_JSON, NOT_FOUND.formatted(JOB)))
        .anySatisfy(v -> assertThat(v).contains("instance"));
  }

  @Test
  void aRefusalTheOperationCannotSendFails() {
    String quota = problem("quota-exceeded", "Quota", 429);
    // a read never meets a quota; a submission may
    assertThat(check("GET", JOB, 429, MediaType.APPLICATION_PROBLEM_JSON, quota))
        .singleElement()
        .asString()
        .contains("429 is not among");
    assertThat(check("GET", "/v1/jobs", 404, MediaType.APPLICATION_PROBLEM_JSON, "{}"))
        .singleElement()
        .asString()
        .contains("404 is not among");
  }

  @Test
  void aJobViewWithAFieldMissingOrAddedFails() {
    String queued = QUEUED.formatted("QUEUED");
    assertThat(
            check(
                "GET", JOB, 200, MediaType.APPLICATION_JSON, queued.replace("\"attempt\": 0,", "")))
        .anySatisfy(v -> assertThat(v).contains("attempt"));
    assertThat(
            check(
                "GET",
                JOB,
                200,
                MediaType.APPLICATION_JSON,
                queued.replace("\"attempt\": 0,", "\"attempt\": 0, \"priority\": 1,")))
        .anySatisfy(v -> assertThat(v).contains("priority"));
  }

  @Test
  void requestPatternsMatchTheWholeValueAndAlphaIsANumberOrAString() {
    String request = "{\"model\": {\"hub\": \"org/model\"}, \"alpha\": %s}";
    for (String alpha : List.of("0.7", "\"0.7\"", "\"auto\"", "1")) {
      assertThat(Contract.COMMITTED.requestViolations("POST", "/v1/jobs", request.formatted(alpha)))
          .as(alpha)
          .isEmpty();
    }
    for (String alpha : List.of("\"xauto-0.5\"", "\"auto \"", "1.5", "\"0.7x\"")) {
      assertThat(Contract.COMMITTED.requestViolations("POST", "/v1/jobs", request.formatted(alpha)))
          .as(alpha)
          .isNotEmpty();
    }
    assertThat(
            Contract.COMMITTED.requestViolations(
                "POST", "/v1/jobs", "{\"model\": {\"hub\": \"org/model\"}, \"priority\": 1}"))
        .anySatisfy(v -> assertThat(v).contains("priority"));
  }
}
