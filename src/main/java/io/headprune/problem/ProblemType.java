package io.headprune.problem;

import java.net.URI;
import java.util.Locale;

/**
 * The kinds of problem headprune reports, each with its RFC 9457 {@code type} URI: a client tells
 * problems apart by {@link #uri()}, not by parsing the detail.
 */
public enum ProblemType {
  INVALID_REQUEST(
      400, "Invalid request", "a parameter, header or body field is malformed or out of range"),
  UNAUTHORIZED(401, "Unauthorized", "no valid API key or token"),
  FORBIDDEN(403, "Forbidden", "the caller's role may not do this"),
  NOT_FOUND(404, "Not found", "no such resource in the caller's tenant"),
  METHOD_NOT_ALLOWED(405, "Method not allowed", "the path exists but not with this method"),
  NOT_ACCEPTABLE(406, "Not acceptable", "the Accept header names no type this operation gives"),
  CONFLICT(
      409,
      "Conflict",
      "the resource's state forbids this, or an Idempotency-Key was reused with another body"),
  TOO_LARGE(413, "Request too large", "the body or upload exceeds the configured limit"),
  UNSUPPORTED_MEDIA_TYPE(
      415, "Unsupported media type", "the Content-Type is not one this operation takes"),
  INVALID_INPUT(422, "Invalid input", "a checkpoint, archive or dataset the engine cannot accept"),
  UNSUPPORTED_MODEL(422, "Unsupported model", "an architecture headprune does not prune"),
  QUOTA_EXCEEDED(
      429, "Quota exceeded", "a tenant quota refuses the request (413 for stored bytes)"),
  INTERNAL(500, "Internal error", "the server failed; the detail says when it was logged"),
  QUARANTINED(
      500,
      "Job quarantined",
      "the workers that ran the job died, as many times as headprune.jobs.max-worker-deaths allows;"
          + " it is not run again"),
  UPSTREAM(502, "Upstream failure", "the Hugging Face Hub failed or refused"),
  DATABASE_UNAVAILABLE(
      503, "Service unavailable", "the database is unreachable; retry after Retry-After"),
  SERVER_BUSY(
      503,
      "Server busy",
      "every database connection stayed in use for the pool's timeout while the database answers;"
          + " retry after Retry-After");

  private static final String BASE = "https://headprune.io/problems/";

  private final int status;
  private final String title;
  private final String meaning;

  ProblemType(int status, String title, String meaning) {
    this.status = status;
    this.title = title;
    this.meaning = meaning;
  }

  /** The {@code type} member: {@code https://headprune.io/problems/<kind>}. */
  public URI uri() {
    return URI.create(BASE + name().toLowerCase(Locale.ROOT).replace('_', '-'));
  }

  /** The usual HTTP status of this kind. */
  public int status() {
    return status;
  }

  /** A default title. */
  public String title() {
    return title;
  }

  /** One line on when it happens (for the API description). */
  public String meaning() {
    return meaning;
  }

  /** The kind of {@code e}. */
  public static ProblemType of(HeadpruneException e) {
    if (e instanceof InvalidRequestException) {
      return INVALID_REQUEST;
    }
    if (e instanceof NotFoundException) {
      return NOT_FOUND;
    }
    if (e instanceof ConflictException) {
      return CONFLICT;
    }
    if (e instanceof EngineException) {
      return INTERNAL;
    }
    if (e instanceof ForbiddenException) {
      return FORBIDDEN;
    }
    if (e instanceof UpstreamException) {
      return UPSTREAM;
    }
    if (e instanceof QuotaExceededException) {
      return QUOTA_EXCEEDED;
    }
    if (e instanceof BusyException) {
      return SERVER_BUSY;
    }
    return e instanceof UnsupportedModelException ? UNSUPPORTED_MODEL : INVALID_INPUT;
  }

  /** The kind of a response with {@code status} that no handler typed (Spring's own errors). */
  public static ProblemType ofStatus(int status) {
    return switch (status) {
      case 400 -> INVALID_REQUEST;
      case 401 -> UNAUTHORIZED;
      case 403 -> FORBIDDEN;
      case 404 -> NOT_FOUND;
      case 405 -> METHOD_NOT_ALLOWED;
      case 406 -> NOT_ACCEPTABLE;
      case 409 -> CONFLICT;
      case 413 -> TOO_LARGE;
      case 415 -> UNSUPPORTED_MEDIA_TYPE;
      case 422 -> INVALID_INPUT;
      case 429 -> QUOTA_EXCEEDED;
      case 502 -> UPSTREAM;
      case 503 -> DATABASE_UNAVAILABLE;
      default -> status < 500 ? INVALID_REQUEST : INTERNAL;
    };
  }

  /**
   * What an error answer of {@code status} means when nothing more specific is known (an error the
   * web server or the framework raised before headprune's code saw the request).
   */
  public static String describe(int status) {
    return switch (status) {
      case 400 ->
          "the request line, a header or the path is malformed (control characters, an encoded"
              + " slash or backslash, a path not in normal form, or headers past the server's"
              + " limit)";
      case 401 -> "this call needs an Authorization: Bearer header with an API key or a token";
      case 403 -> "the caller's role may not do this";
      case 404 -> "no such resource";
      case 405 -> "the path exists but not with this method";
      case 406 -> "the Accept header names no type this operation gives";
      case 413 -> "the request is larger than the server accepts";
      case 414 -> "the request line is longer than the server accepts";
      case 415 -> "the Content-Type is not one this operation takes";
      case 431 -> "the request headers are larger than the server accepts";
      case 501 -> "the request's method or transfer encoding is not one the server implements";
      case 503 -> "the service is not available; retry later";
      case 505 -> "the HTTP version is not one the server speaks";
      default -> "the server could not handle the request (status " + status + ")";
    };
  }
}
