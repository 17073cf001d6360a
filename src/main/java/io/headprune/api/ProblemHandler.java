package io.headprune.api;

import io.headprune.jobs.Databases;
import io.headprune.problem.BusyException;
import io.headprune.problem.HeadpruneException;
import io.headprune.problem.Problem;
import io.headprune.problem.ProblemType;
import io.headprune.problem.QuotaExceededException;
import jakarta.validation.ConstraintViolationException;
import java.io.EOFException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.time.Instant;
import java.util.Collection;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.dao.DataAccessException;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.HttpStatusCode;
import org.springframework.http.MediaType;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;
import org.springframework.http.converter.HttpMessageNotReadableException;
import org.springframework.transaction.TransactionException;
import org.springframework.web.bind.MethodArgumentNotValidException;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.RestControllerAdvice;
import org.springframework.web.context.request.WebRequest;
import org.springframework.web.method.annotation.HandlerMethodValidationException;
import org.springframework.web.multipart.MaxUploadSizeExceededException;
import org.springframework.web.multipart.MultipartException;
import org.springframework.web.servlet.mvc.method.annotation.ResponseEntityExceptionHandler;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.DatabindException;
import tools.jackson.databind.exc.MismatchedInputException;
import tools.jackson.databind.exc.UnrecognizedPropertyException;

/** Maps every error to an RFC 9457 problem detail whose detail names the problem. */
@RestControllerAdvice
class ProblemHandler extends ResponseEntityExceptionHandler {

  private static final Logger log = LoggerFactory.getLogger(ProblemHandler.class);

  /** Seconds a client should wait before retrying while the database is unreachable. */
  static final int DATABASE_RETRY_SECONDS = 5;

  /** Seconds a client should wait before retrying when every database connection is in use. */
  static final int BUSY_RETRY_SECONDS = 1;

  /**
   * The database cannot be reached: a fast 503 with Retry-After (connections time out in seconds),
   * not a generic 500 after the pool's default 30 s.
   */
  @ExceptionHandler({DataAccessException.class, TransactionException.class})
  ResponseEntity<ProblemDetail> database(RuntimeException e) {
    if (Databases.busy(e)) {
      Databases.countBusy("request");
      log.warn("every database connection is in use: {}", e.getMessage());
      ProblemDetail problem =
          detail(
              Problem.of(
                  ProblemType.SERVER_BUSY,
                  HttpStatus.SERVICE_UNAVAILABLE.value(),
                  ProblemType.SERVER_BUSY.title(),
                  "the server is busy: every database connection stayed in use for "
                      + "spring.datasource.hikari.connection-timeout; retry in "
                      + BUSY_RETRY_SECONDS
                      + " second"));
      return ResponseEntity.status(HttpStatus.SERVICE_UNAVAILABLE)
          .header(HttpHeaders.RETRY_AFTER, Integer.toString(BUSY_RETRY_SECONDS))
          .contentType(MediaType.APPLICATION_PROBLEM_JSON)
          .body(problem);
    }
    if (!Databases.unreachable(e)) {
      log.error("database failure", e);
      ProblemDetail problem =
          detail(
              Problem.of(
                  ProblemType.INTERNAL,
                  HttpStatus.INTERNAL_SERVER_ERROR.value(),
                  "Database failure",
                  "the database failed the request (logged at " + Instant.now() + ")"));
      return ResponseEntity.status(HttpStatus.INTERNAL_SERVER_ERROR)
          .contentType(MediaType.APPLICATION_PROBLEM_JSON)
          .body(problem);
    }
    log.warn("database unavailable: {}", e.getMessage());
    ProblemDetail problem =
        detail(
            Problem.of(
                ProblemType.DATABASE_UNAVAILABLE,
                HttpStatus.SERVICE_UNAVAILABLE.value(),
                "Service unavailable",
                "the database is unreachable; retry in " + DATABASE_RETRY_SECONDS + " seconds"));
    return ResponseEntity.status(HttpStatus.SERVICE_UNAVAILABLE)
        .header(HttpHeaders.RETRY_AFTER, Integer.toString(DATABASE_RETRY_SECONDS))
        .contentType(MediaType.APPLICATION_PROBLEM_JSON)
        .body(problem);
  }

  /**
   * A quota: which one, its limit and the use now; 429 with Retry-After, or 413 for stored bytes.
   */
  @ExceptionHandler(QuotaExceededException.class)
  ResponseEntity<ProblemDetail> quota(QuotaExceededException e) {
    boolean rate = e.kind() == QuotaExceededException.Kind.RATE;
    HttpStatus status = rate ? HttpStatus.TOO_MANY_REQUESTS : HttpStatus.CONTENT_TOO_LARGE;
    ProblemDetail problem =
        detail(Problem.of(ProblemType.QUOTA_EXCEEDED, status.value(), e.title(), e.getMessage()));
    problem.setProperty("quota", e.quota());
    problem.setProperty("limit", e.limit());
    problem.setProperty("used", e.used()); // (Problem's extensions, as the schema names them)
    var response = ResponseEntity.status(status).contentType(MediaType.APPLICATION_PROBLEM_JSON);
    if (rate) {
      response.header(HttpHeaders.RETRY_AFTER, Long.toString(e.retryAfterSeconds()));
    }
    return response.body(problem);
  }

  /** No room now (uploads waiting for a validation slot): 503 with Retry-After. */
  @ExceptionHandler(BusyException.class)
  ResponseEntity<ProblemDetail> busy(BusyException e) {
    ProblemDetail problem =
        detail(
            Problem.of(
                ProblemType.SERVER_BUSY,
                HttpStatus.SERVICE_UNAVAILABLE.value(),
                e.title(),
                e.getMessage()));
    return ResponseEntity.status(HttpStatus.SERVICE_UNAVAILABLE)
        .header(HttpHeaders.RETRY_AFTER, Long.toString(e.retryAfterSeconds()))
        .contentType(MediaType.APPLICATION_PROBLEM_JSON)
        .body(problem);
  }

  @ExceptionHandler(HeadpruneException.class)
  ProblemDetail headprune(HeadpruneException e) {
    HttpStatus status = status(e);
    if (status.is5xxServerError()) {
      log.error("request failed", e);
    }
    ProblemDetail problem =
        detail(Problem.of(ProblemType.of(e), status.value(), e.title(), e.getMessage()));
    return problem;
  }

  /** {@code problem} as Spring's answer body: the same members, the same occurrence id. */
  static ProblemDetail detail(Problem problem) {
    ProblemDetail detail =
        ProblemDetail.forStatusAndDetail(
            HttpStatusCode.valueOf(problem.status()), problem.detail());
    detail.setType(problem.type());
    detail.setTitle(problem.title());
    detail.setInstance(problem.instance());
    problem.extensions().forEach(detail::setProperty);
    return detail;
  }

  /** The status of {@code e}: its kind's (one mapping, {@link ProblemType#of}). */
  static HttpStatus status(HeadpruneException e) {
    return HttpStatus.valueOf(ProblemType.of(e).status());
  }

  /**
   * Spring's own errors (405, 406, 415, a bad parameter) and those built by the overrides below get
   * the type URI of their status.
   */
  @Override
  protected ResponseEntity<Object> createResponseEntity(
      Object body, HttpHeaders headers, HttpStatusCode statusCode, WebRequest request) {
    if (body instanceof ProblemDetail problem) {
      if (problem.getType() == null || URI.create("about:blank").equals(problem.getType())) {
        ProblemType kind = ProblemType.ofStatus(statusCode.value());
        problem.setType(kind.uri());
        problem.setTitle(kind.title());
      }
      if (problem.getInstance() == null) {
        problem.setInstance(Problem.newInstance());
      }
    }
    return super.createResponseEntity(body, headers, statusCode, request);
  }

  @ExceptionHandler(ConstraintViolationException.class)
  ProblemDetail constraint(ConstraintViolationException e) {
    String detail =
        e.getConstraintViolations().stream()
            .map(v -> v.getMessage())
            .sorted()
            .collect(Collectors.joining("; "));
    ProblemDetail problem =
        detail(
            Problem.of(
                ProblemType.INVALID_REQUEST,
                HttpStatus.BAD_REQUEST.value(),
                "Invalid request",
                detail));
    return problem;
  }

  @ExceptionHandler(UncheckedIOException.class)
  ProblemDetail io(UncheckedIOException e) {
    log.error("I/O failure", e);
    // the cause names server paths: it goes to the log, the client gets what happened
    ProblemDetail problem =
        detail(
            Problem.of(
                ProblemType.INTERNAL,
                HttpStatus.INTERNAL_SERVER_ERROR.value(),
                "Storage failure",
                "storage failure: the server could not read or write a file (logged at "
                    + Instant.now()
                    + ")"));
    return problem;
  }

  @Override
  protected ResponseEntity<Object> handleMethodArgumentNotValid(
      MethodArgumentNotValidException e,
      HttpHeaders headers,
      HttpStatusCode status,
      WebRequest request) {
    String detail =
        e.getBindingResult().getFieldErrors().stream()
            .map(error -> error.getField() + ": " + error.getDefaultMessage())
            .sorted()
            .collect(Collectors.joining("; "));
    ProblemDetail problem = detail(Problem.of(ProblemType.INVALID_REQUEST, detail));
    return handleExceptionInternal(e, problem, headers, HttpStatus.BAD_REQUEST, request);
  }

  @Override
  protected ResponseEntity<Object> handleHandlerMethodValidationException(
      HandlerMethodValidationException e,
      HttpHeaders headers,
      HttpStatusCode status,
      WebRequest request) {
    String detail =
        e.getAllErrors().stream()
            .map(error -> error.getDefaultMessage())
            .sorted()
            .collect(Collectors.joining("; "));
    ProblemDetail problem = detail(Problem.of(ProblemType.INVALID_REQUEST, detail));
    return handleExceptionInternal(e, problem, headers, HttpStatus.BAD_REQUEST, request);
  }

  @Override
  protected ResponseEntity<Object> handleHttpMessageNotReadable(
      HttpMessageNotReadableException e,
      HttpHeaders headers,
      HttpStatusCode status,
      WebRequest request) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof RequestLimitsFilter.BodyTooLarge tooLarge) {
        ProblemDetail problem = detail(Problem.of(ProblemType.TOO_LARGE, tooLarge.getMessage()));
        return handleExceptionInternal(e, problem, headers, HttpStatus.CONTENT_TOO_LARGE, request);
      }
    }
    Throwable cause = e.getMostSpecificCause();
    String reason =
        cause instanceof JacksonException jackson
            ? describe(jackson) + location(jackson)
            : "the body is missing or unreadable";
    ProblemDetail problem = malformedBody("malformed JSON: " + reason);
    return handleExceptionInternal(e, problem, headers, HttpStatus.BAD_REQUEST, request);
  }

  /** A body the server could not read: 400, titled so, {@code detail} saying why. */
  private static ProblemDetail malformedBody(String detail) {
    return detail(
        Problem.of(
            ProblemType.INVALID_REQUEST,
            HttpStatus.BAD_REQUEST.value(),
            "Malformed request body",
            detail));
  }

  /** What was wrong, in the request's terms: no Java class names. */
  private static String describe(JacksonException e) {
    if (e instanceof UnrecognizedPropertyException unknown) {
      return "unknown field '" + unknown.getPropertyName() + "'";
    }
    if (e instanceof MismatchedInputException mismatch && mismatch.getTargetType() != null) {
      return "a value has the wrong type: expected " + expected(mismatch.getTargetType());
    }
    return e.getOriginalMessage()
        .replaceAll("`?[a-z]+(\\.[a-z0-9_]+)+\\.[A-Z][A-Za-z0-9_$]*`?", "a value");
  }

  private static String expected(Class<?> type) {
    if (Number.class.isAssignableFrom(type) || (type.isPrimitive() && type != boolean.class)) {
      return "a number";
    }
    if (type == Boolean.class || type == boolean.class) {
      return "true or false";
    }
    if (type == String.class || type == UUID.class) {
      return "a string";
    }
    if (Collection.class.isAssignableFrom(type) || type.isArray()) {
      return "a list";
    }
    return "an object";
  }

  /** Where in the body: {@code seeds}, {@code criteria[1]}, {@code target.sparsity}. */
  private static String location(JacksonException e) {
    if (!(e instanceof DatabindException databind) || databind.getPath().isEmpty()) {
      return "";
    }
    StringBuilder path = new StringBuilder();
    for (var reference : databind.getPath()) {
      if (reference.getPropertyName() != null) {
        path.append(path.length() == 0 ? "" : ".").append(reference.getPropertyName());
      } else if (reference.getIndex() >= 0) {
        path.append('[').append(reference.getIndex()).append(']');
      }
    }
    return path.length() == 0 ? "" : " (at " + path + ")";
  }

  /**
   * A multipart body the server could not parse: a file name with NUL, a body cut before its
   * closing boundary, a Content-Type without a boundary. The client's mistake: 400, named.
   */
  @ExceptionHandler(MultipartException.class)
  ResponseEntity<ProblemDetail> multipart(MultipartException e) {
    // (a too-large upload, a MultipartException too, has its own, more specific handler: 413)
    String detail = "the multipart body is malformed: " + multipartReason(e);
    ProblemDetail problem = malformedBody(detail);
    return ResponseEntity.badRequest()
        .contentType(MediaType.APPLICATION_PROBLEM_JSON)
        .body(problem);
  }

  /** Which limit an upload exceeded, with its value. */
  static String uploadLimit(MaxUploadSizeExceededException e) {
    if (e.getMaxUploadSize() >= 0) {
      return "upload exceeds the limit of " + e.getMaxUploadSize() + " bytes";
    }
    for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
      Matcher header =
          Pattern.compile("Header section has more than (\\d+) bytes")
              .matcher(String.valueOf(t.getMessage()));
      if (header.find()) {
        return "a part's headers (its file name included) exceed the server's limit of "
            + header.group(1)
            + " bytes";
      }
      Matcher size =
          Pattern.compile("maximum (?:permitted )?(?:size )?(?:of )?\\(?(\\d+)\\)?")
              .matcher(String.valueOf(t.getMessage()));
      if (size.find()) {
        return "upload exceeds the limit of " + size.group(1) + " bytes";
      }
    }
    return "upload exceeds a limit of the server (headprune.upload.max-bytes for the file and the"
        + " request, and the multipart parser's limits on part headers and parts)";
  }

  /** What was wrong with a multipart body, in the request's terms. */
  static String multipartReason(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
      String name = t.getClass().getSimpleName();
      String message = String.valueOf(t.getMessage());
      if (name.equals("InvalidFileNameException")) {
        return "a part's file name contains a NUL character";
      }
      if (message.contains("no multipart boundary")) {
        return "its Content-Type names no boundary";
      }
      if (name.equals("MalformedStreamException")
          || message.contains("Stream ended unexpectedly")
          || t instanceof EOFException) {
        return "it ends before its closing boundary, or a part's headers are not terminated";
      }
    }
    return "it is not valid multipart/form-data";
  }

  @Override
  protected ResponseEntity<Object> handleMaxUploadSizeExceededException(
      MaxUploadSizeExceededException e,
      HttpHeaders headers,
      HttpStatusCode status,
      WebRequest request) {
    ProblemDetail problem =
        detail(
            Problem.of(
                ProblemType.TOO_LARGE,
                HttpStatus.CONTENT_TOO_LARGE.value(),
                "Upload too large",
                uploadLimit(e)));
    return handleExceptionInternal(e, problem, headers, HttpStatus.CONTENT_TOO_LARGE, request);
  }
}
