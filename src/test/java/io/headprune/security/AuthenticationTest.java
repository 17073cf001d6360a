package io.headprune.security;

import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.PlainJWT;
import com.nimbusds.jwt.SignedJWT;
import io.headprune.support.Contract;
import io.headprune.support.Instances;
import io.headprune.support.ServiceTest;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.Map;
import mockwebserver3.Dispatcher;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;
import org.junit.jupiter.api.Test;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.web.client.RestClient;

/**
 * Every way in without valid credentials is a 401 problem+json; roles limit what a valid key or
 * token may do. JWTs are signed with a key pair made here, whose JWK set a MockWebServer serves.
 */
@SuppressWarnings({"rawtypes", "unchecked"})
class AuthenticationTest extends ServiceTest {

  private static final String ISSUER = "https://login.example.test/realm";
  private static final RSAKey SIGNING = rsa("k1");
  private static final RSAKey STRANGER = rsa("k1"); // same key id, other key: a forged signature
  private static final MockWebServer PROVIDER = provider();

  private static RSAKey rsa(String id) {
    try {
      return new RSAKeyGenerator(2048).keyID(id).generate();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private static MockWebServer provider() {
    MockWebServer server = new MockWebServer();
    server.setDispatcher(
        new Dispatcher() {
          @Override
          public MockResponse dispatch(RecordedRequest request) {
            return new MockResponse.Builder()
                .code(200)
                .addHeader("Content-Type", "application/json")
                .body(new JWKSet(SIGNING.toPublicJWK()).toString())
                .build();
          }
        });
    try {
      server.start();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return server;
  }

  @DynamicPropertySource
  static void oidc(DynamicPropertyRegistry registry) {
    registry.add("headprune.security.oidc.issuer-uri", () -> ISSUER);
    registry.add("headprune.security.oidc.jwk-set-uri", () -> PROVIDER.url("/jwks").toString());
  }

  private RestClient as(String authorization) {
    RestClient.Builder builder =
        RestClient.builder()
            .baseUrl("http://localhost:" + port)
            .defaultStatusHandler(status -> true, (request, response) -> {})
            .requestInterceptor(Contract.COMMITTED.interceptor());
    if (authorization != null) {
      builder.defaultHeader("Authorization", authorization);
    }
    return builder.build();
  }

  private static String jwt(
      RSAKey key, String issuer, Instant expires, String tenant, Object role) {
    try {
      JWTClaimsSet claims =
          new JWTClaimsSet.Builder()
              .issuer(issuer)
              .subject("pipeline-7")
              .claim("tenant", tenant)
              .claim("role", role)
              .issueTime(Date.from(expires.minusSeconds(3600)))
              .expirationTime(Date.from(expires))
              .build();
      SignedJWT jwt =
          new SignedJWT(
              new JWSHeader.Builder(JWSAlgorithm.RS256)
                  .keyID(key.getKeyID())
                  .type(JOSEObjectType.JWT)
                  .build(),
              claims);
      jwt.sign(new RSASSASigner(key));
      return jwt.serialize();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private void assertUnauthorized(String authorization, String detailPart) {
    ResponseEntity<Map> response =
        as(authorization).get().uri("/v1/jobs").retrieve().toEntity(Map.class);
    assertThat(response.getStatusCode().value()).as(authorization).isEqualTo(401);
    assertThat(response.getHeaders().getContentType().toString())
        .isEqualTo("application/problem+json");
    assertThat(response.getHeaders().getFirst("WWW-Authenticate")).startsWith("Bearer");
    assertThat((String) response.getBody().get("detail")).as(authorization).contains(detailPart);
    assertThat(response.getBody().toString()).doesNotContain("Exception").doesNotContain("http://");
  }

  private String createKey(String tenant, String role) {
    Map body =
        http.post()
            .uri("/v1/keys")
            .contentType(MediaType.APPLICATION_JSON)
            .body(Map.of("tenant", tenant, "role", role))
            .retrieve()
            .body(Map.class);
    return (String) body.get("key");
  }

  @Test
  void withoutValidCredentialsEveryCallIs401() {
    assertUnauthorized(null, "needs an Authorization: Bearer header");
    assertUnauthorized("Basic dXNlcjpwYXNz", "no valid bearer token");
    assertUnauthorized("Bearer ", "no valid bearer token");
    assertUnauthorized(
        "Bearer hp_!!!not-a-key", "no valid bearer token"); // characters a bearer token cannot hold
    assertUnauthorized("Bearer hp_short", "unknown or revoked");
    String real = createKey("default", "member");
    // the right prefix, the wrong rest
    assertUnauthorized(
        "Bearer " + real.substring(0, 11) + "x".repeat(real.length() - 11), "unknown or revoked");
    assertUnauthorized("Bearer hp_" + "A".repeat(43), "unknown or revoked");
  }

  @Test
  void aRevokedKeyStopsWorkingAtOnce() {
    String key = createKey("default", "read");
    assertThat(
            as("Bearer " + key)
                .get()
                .uri("/v1/jobs")
                .retrieve()
                .toBodilessEntity()
                .getStatusCode()
                .value())
        .isEqualTo(200);
    assertThat(
            http.delete()
                .uri("/v1/keys/" + key.substring(0, 11))
                .retrieve()
                .toBodilessEntity()
                .getStatusCode()
                .value())
        .isEqualTo(204);
    assertUnauthorized("Bearer " + key, "unknown or revoked");
    Map listed =
        ((List<Map>) http.get().uri("/v1/keys").retrieve().body(List.class))
            .stream()
                .filter(k -> k.get("prefix").equals(key.substring(0, 11)))
                .findFirst()
                .orElseThrow();
    assertThat(listed.get("revoked")).isEqualTo(true);
    assertThat(listed.toString()).doesNotContain(key);
  }

  @Test
  void badTokensAre401() {
    Instant later = Instant.now().plusSeconds(600);
    assertUnauthorized(
        "Bearer " + jwt(SIGNING, ISSUER, Instant.now().minusSeconds(600), "acme", "member"),
        "expired");
    assertUnauthorized(
        "Bearer " + jwt(SIGNING, "https://elsewhere.example.test", later, "acme", "member"),
        "issuer");
    assertUnauthorized(
        "Bearer " + jwt(STRANGER, ISSUER, later, "acme", "member"), "signature or format");
    String unsigned =
        new PlainJWT(
                new JWTClaimsSet.Builder()
                    .issuer(ISSUER)
                    .subject("x")
                    .claim("tenant", "acme")
                    .claim("role", "admin")
                    .expirationTime(Date.from(later))
                    .build())
            .serialize(); // alg: none
    assertUnauthorized("Bearer " + unsigned, "signature or format");
    assertUnauthorized(
        "Bearer " + jwt(SIGNING, ISSUER, later, "Not A Tenant", "member"), "must name a tenant");
    assertUnauthorized(
        "Bearer " + jwt(SIGNING, ISSUER, later, "acme", "superuser"), "must name a role");
  }

  @Test
  void aValidTokenActsForItsTenantWithItsRole() {
    Instant later = Instant.now().plusSeconds(600);
    RestClient reader = as("Bearer " + jwt(SIGNING, ISSUER, later, "acme", List.of("read")));
    assertThat(reader.get().uri("/v1/jobs").retrieve().toBodilessEntity().getStatusCode().value())
        .isEqualTo(200);
    ResponseEntity<Map> submit =
        reader
            .post()
            .uri("/v1/jobs")
            .contentType(MediaType.APPLICATION_JSON)
            .body("{}")
            .retrieve()
            .toEntity(Map.class);
    assertThat(submit.getStatusCode().value()).isEqualTo(403);
    assertThat(submit.getHeaders().getContentType().toString())
        .isEqualTo("application/problem+json");

    RestClient admin =
        as("Bearer " + jwt(SIGNING, ISSUER, later, "acme", List.of("read", "admin")));
    Map usage = admin.get().uri("/v1/tenants/acme/usage").retrieve().body(Map.class);
    assertThat(usage.get("tenant")).isEqualTo("acme");
    assertThat(
            admin
                .get()
                .uri("/v1/tenants/default/usage")
                .retrieve()
                .toBodilessEntity()
                .getStatusCode()
                .value())
        .isEqualTo(403);
  }

  @Test
  void rolesLimitWhatAValidKeyMayDo() {
    RestClient reader = as("Bearer " + createKey("default", "read"));
    assertThat(reader.get().uri("/v1/jobs").retrieve().toBodilessEntity().getStatusCode().value())
        .isEqualTo(200);
    ResponseEntity<Map> submit =
        reader
            .post()
            .uri("/v1/jobs")
            .contentType(MediaType.APPLICATION_JSON)
            .body("{}")
            .retrieve()
            .toEntity(Map.class);
    assertThat(submit.getStatusCode().value()).isEqualTo(403);
    assertThat((String) submit.getBody().get("detail")).contains("role may not POST /v1/jobs");
    // another spelling of the path is not a way around the rule
    String base = "http://localhost:" + port;
    assertThat(
            reader
                .post()
                .uri(URI.create(base + "/%76%31/jobs"))
                .contentType(MediaType.APPLICATION_JSON)
                .body("{}")
                .retrieve()
                .toBodilessEntity()
                .getStatusCode()
                .value())
        .isIn(400, 403);

    RestClient member = as("Bearer " + createKey("default", "member"));
    assertThat(member.get().uri("/v1/keys").retrieve().toBodilessEntity().getStatusCode().value())
        .isEqualTo(403);
    assertThat(
            member
                .post()
                .uri("/v1/keys")
                .contentType(MediaType.APPLICATION_JSON)
                .body(Map.of("tenant", "default", "role", "admin"))
                .retrieve()
                .toBodilessEntity()
                .getStatusCode()
                .value())
        .isEqualTo(403);
    RestClient admin = as("Bearer " + createKey("default", "admin"));
    assertThat(
            admin
                .post()
                .uri("/v1/keys")
                .contentType(MediaType.APPLICATION_JSON)
                .body(Map.of("tenant", "default", "role", "platform-admin"))
                .retrieve()
                .toBodilessEntity()
                .getStatusCode()
                .value())
        .isEqualTo(403); // an admin cannot mint a platform-admin
    assertThat(
            admin
                .post()
                .uri("/v1/keys")
                .contentType(MediaType.APPLICATION_JSON)
                .body(Map.of("tenant", "newcomer", "role", "admin"))
                .retrieve()
                .toBodilessEntity()
                .getStatusCode()
                .value())
        .isEqualTo(403); // nor create tenants
  }

  @Test
  void actuatorShowsProbesToAllAndDetailsAndMetricsToKeysOnly() {
    RestClient anonymous = as(null);
    Map health = anonymous.get().uri("/actuator/health").retrieve().body(Map.class);
    assertThat(health).containsKey("status").doesNotContainKey("components");
    assertThat(
            anonymous
                .get()
                .uri("/actuator/health/readiness")
                .retrieve()
                .toBodilessEntity()
                .getStatusCode()
                .value())
        .isEqualTo(200);
    assertThat(
            anonymous
                .get()
                .uri("/actuator/health/liveness")
                .retrieve()
                .toBodilessEntity()
                .getStatusCode()
                .value())
        .isEqualTo(200);
    for (String path : List.of("/actuator/metrics", "/actuator/prometheus", "/actuator/info")) {
      assertThat(anonymous.get().uri(path).retrieve().toBodilessEntity().getStatusCode().value())
          .as(path)
          .isEqualTo(401);
    }
    RestClient reader = as("Bearer " + createKey("default", "read"));
    RestClient tenantAdmin = as("Bearer " + createKey("default", "admin"));
    for (RestClient tenant : List.of(reader, tenantAdmin)) {
      // which checks failed, with the data path and disk totals, is the platform's business
      assertThat(tenant.get().uri("/actuator/health").retrieve().body(Map.class))
          .containsKey("status")
          .doesNotContainKey("components");
    }
    assertThat(
            as("Bearer " + Instances.ADMIN_KEY)
                .get()
                .uri("/actuator/health")
                .retrieve()
                .body(Map.class))
        .containsKey("components");
    for (String path : List.of("/actuator/metrics", "/actuator/prometheus", "/actuator/info")) {
      assertThat(reader.get().uri(path).retrieve().toBodilessEntity().getStatusCode().value())
          .as(path)
          .isEqualTo(200);
    }
    for (String path : List.of("/actuator/env", "/actuator/beans", "/actuator/heapdump")) {
      assertThat(reader.get().uri(path).retrieve().toBodilessEntity().getStatusCode().value())
          .as(path)
          .isEqualTo(404);
    }
    assertThat(Instances.ADMIN_KEY).startsWith("hp_");
  }

  @Test
  void theApiDocumentNeedsAKeyAndTheErrorPageIsNoResource() {
    RestClient anonymous = as(null);
    for (String path : List.of("/v3/api-docs", "/v3/api-docs.yaml")) {
      assertThat(anonymous.get().uri(path).retrieve().toBodilessEntity().getStatusCode().value())
          .as(path)
          .isEqualTo(401);
    }
    RestClient reader = as("Bearer " + createKey("default", "read"));
    assertThat(
            reader.get().uri("/v3/api-docs").retrieve().toBodilessEntity().getStatusCode().value())
        .isEqualTo(200);
    assertThat(
            anonymous
                .get()
                .uri("/swagger-ui.html")
                .retrieve()
                .toBodilessEntity()
                .getStatusCode()
                .value())
        .isIn(401, 404);
    for (RestClient caller : List.of(anonymous, reader)) {
      var error = caller.get().uri("/error").retrieve().toEntity(Map.class);
      assertThat(error.getStatusCode().value()).isEqualTo(404);
      assertThat(error.getHeaders().getContentType()).hasToString("application/problem+json");
    }
  }
}
