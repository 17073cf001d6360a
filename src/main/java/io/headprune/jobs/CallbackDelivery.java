package io.headprune.jobs;

import io.headprune.checkpoint.Json;
import io.headprune.problem.HeadpruneException;
import io.headprune.tenancy.Secrets;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Component;

/**
 * Delivers a job's callback: POSTs the job view as a Standard Webhooks event ({@code webhook-id},
 * {@code webhook-timestamp}, {@code webhook-signature: v1,<base64 HMAC-SHA256 of
 * "id.timestamp.body">}; the older {@code X-Headprune-*} headers too, for one release), no
 * redirects followed, the URL re-checked against the allow-list and network policy. A non-2xx
 * answer or no answer is retried with doubling delays (from {@code first-retry}, at most 10 minutes
 * apart) for {@code retry-for}; every attempt is recorded and shown on the job.
 */
@Component
class CallbackDelivery {

  private static final Logger log = LoggerFactory.getLogger(CallbackDelivery.class);
  private static final Duration LONGEST_WAIT = Duration.ofMinutes(10);

  /** Thrown to try again at {@link #at}. */
  static final class Retry extends RuntimeException {
    final Instant at;

    Retry(Instant at) {
      super("callback delivery retried at " + at, null, false, false);
      this.at = at;
    }
  }

  private final JdbcTemplate sql;
  private final Secrets secrets;
  private final Callbacks callbacks;
  private final CallbackSettings settings;
  private final ObjectProvider<Jobs> jobs;
  private final Clock clock;
  private final HttpClient http =
      HttpClient.newBuilder()
          .connectTimeout(Duration.ofSeconds(5))
          .followRedirects(HttpClient.Redirect.NEVER)
          .build();

  CallbackDelivery(
      JdbcTemplate sql,
      Secrets secrets,
      Callbacks callbacks,
      CallbackSettings settings,
      ObjectProvider<Jobs> jobs,
      Clock clock) {
    this.sql = sql;
    this.secrets = secrets;
    this.callbacks = callbacks;
    this.settings = settings;
    this.jobs = jobs;
    this.clock = clock;
  }

  /** One delivery attempt; throws {@link Retry} when another should follow. */
  void deliver(UUID job) {
    List<Map<String, Object>> rows =
        sql.queryForList(
            "select tenant, url, secret, first_attempt_at, delivered_at, given_up_at from callbacks"
                + " where job_id = ?",
            job);
    if (rows.isEmpty()
        || rows.get(0).get("delivered_at") != null
        || rows.get(0).get("given_up_at") != null) {
      return; // deleted, or already done
    }
    Map<String, Object> row = rows.get(0);
    Instant now = clock.instant();
    Instant first =
        row.get("first_attempt_at") == null
            ? now
            : ((Timestamp) row.get("first_attempt_at")).toInstant();
    if (row.get("first_attempt_at") == null) {
      sql.update(
          "update callbacks set first_attempt_at = ? where job_id = ?", Timestamp.from(now), job);
    }
    Integer previous =
        sql.queryForObject(
            "select count(*) from callback_attempts where job_id = ?", Integer.class, job);
    int attempt = (previous == null ? 0 : previous) + 1;
    Integer status = null;
    String error = null;
    boolean refused = false;
    try {
      URI url = callbacks.check((String) row.get("url"));
      String body = Json.MAPPER.writeValueAsString(jobs.getObject().viewForCallback(job));
      String timestamp = Long.toString(now.getEpochSecond());
      String secret = secrets.decrypt((String) row.get("tenant"), (byte[]) row.get("secret"));
      HttpRequest request =
          HttpRequest.newBuilder(url)
              .timeout(Duration.ofSeconds(10))
              .header("Content-Type", "application/json")
              .header("User-Agent", "headprune-callback")
              // Standard Webhooks (standardwebhooks.com): the event's id, the same on every retry
              .header("webhook-id", webhookId(job))
              .header("webhook-timestamp", timestamp)
              .header(
                  "webhook-signature", standardSignature(secret, webhookId(job), timestamp, body))
              // the scheme before it, kept for one release (deprecated)
              .header("X-Headprune-Timestamp", timestamp)
              .header("X-Headprune-Delivery", Integer.toString(attempt))
              .header("X-Headprune-Signature", "sha256=" + sign(secret, timestamp + "." + body))
              .POST(HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8))
              .build();
      status = http.send(request, HttpResponse.BodyHandlers.discarding()).statusCode();
      if (status < 200 || status > 299) {
        error = "the receiver answered " + status;
      }
    } catch (HeadpruneException policy) {
      error = policy.getMessage();
      refused = true; // the URL is no longer allowed: no retry will change that
    } catch (IOException e) {
      error = "no answer: " + e.getClass().getSimpleName().replaceAll("Exception$", "");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      error = "interrupted";
    } catch (
        RuntimeException e) { // e.g. a secret the configured key no longer opens: logged, retried
      log.warn("job {}: callback attempt {} could not be made", job, attempt, e);
      error = "the service could not make the request (logged)";
    }
    sql.update(
        "insert into callback_attempts (job_id, attempt, at, status, error) values (?, ?, ?, ?, ?)",
        job,
        attempt,
        Timestamp.from(now),
        status,
        error);
    if (error == null) {
      sql.update(
          "update callbacks set delivered_at = ? where job_id = ?", Timestamp.from(now), job);
      return;
    }
    log.info("job {}: callback attempt {} failed: {}", job, attempt, error);
    Duration wait = settings.firstRetry().multipliedBy(1L << Math.min(attempt - 1, 30));
    if (wait.compareTo(LONGEST_WAIT) > 0) {
      wait = LONGEST_WAIT;
    }
    Instant next = now.plus(wait);
    if (refused || next.isAfter(first.plus(settings.retryFor()))) {
      sql.update("update callbacks set given_up_at = ? where job_id = ?", Timestamp.from(now), job);
      return;
    }
    throw new Retry(next);
  }

  /**
   * The event's {@code webhook-id}: a job sends one event (its end), so its id names it — unique
   * per event, and the same on every retry, as receivers deduplicate by it.
   */
  static String webhookId(UUID job) {
    return "msg_" + job.toString().replace("-", "");
  }

  /**
   * {@code webhook-signature}: {@code v1,<base64 HMAC-SHA256 of "id.timestamp.body">}. The key is
   * the secret's bytes; a secret written as Standard Webhooks writes them, {@code whsec_<base64>},
   * is the key those base64 bytes decode to, as the standard's libraries read it.
   */
  static String standardSignature(String secret, String id, String timestamp, String body) {
    byte[] key =
        secret.startsWith("whsec_")
            ? Base64.getDecoder().decode(secret.substring("whsec_".length()))
            : secret.getBytes(StandardCharsets.UTF_8);
    return "v1," + Base64.getEncoder().encodeToString(hmac(key, id + "." + timestamp + "." + body));
  }

  /** The deprecated {@code X-Headprune-Signature}'s hex HMAC-SHA256 of {@code message}. */
  static String sign(String secret, String message) {
    return HexFormat.of().formatHex(hmac(secret.getBytes(StandardCharsets.UTF_8), message));
  }

  private static byte[] hmac(byte[] key, String message) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(key, "HmacSHA256"));
      return mac.doFinal(message.getBytes(StandardCharsets.UTF_8));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is part of every JDK", e);
    }
  }
}
