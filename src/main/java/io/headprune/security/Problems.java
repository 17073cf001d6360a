package io.headprune.security;

import io.headprune.problem.Problem;
import io.headprune.problem.ProblemType;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.Locale;
import org.slf4j.LoggerFactory;
import org.springframework.http.HttpHeaders;
import org.springframework.security.access.AccessDeniedException;
import org.springframework.security.core.AuthenticationException;
import org.springframework.security.oauth2.server.resource.InvalidBearerTokenException;
import org.springframework.security.web.AuthenticationEntryPoint;
import org.springframework.security.web.access.AccessDeniedHandler;

/**
 * 401 and 403 as application/problem+json that say what was wrong, with RFC 6750's
 * WWW-Authenticate.
 */
final class Problems implements AuthenticationEntryPoint, AccessDeniedHandler {

  @Override
  public void commence(
      HttpServletRequest request, HttpServletResponse response, AuthenticationException e)
      throws IOException {
    String detail;
    String header = "Bearer";
    if (e instanceof Authenticators.Refused refused) {
      detail = refused.getError().getDescription(); // ours, written for the client
      header = "Bearer error=\"invalid_token\"";
    } else if (e instanceof InvalidBearerTokenException jwt) {
      detail =
          describe(
              jwt.getError().getDescription()); // the JWT library's words name classes and URLs
      header = "Bearer error=\"invalid_token\"";
    } else if (request.getHeader(HttpHeaders.AUTHORIZATION) == null) {
      detail = "this call needs an Authorization: Bearer header with an API key (hp_…) or a token";
    } else {
      detail = "the Authorization header holds no valid bearer token";
      header = "Bearer error=\"invalid_token\"";
    }
    response.setHeader(HttpHeaders.WWW_AUTHENTICATE, header);
    write(response, Problem.of(ProblemType.UNAUTHORIZED, detail));
  }

  @Override
  public void handle(
      HttpServletRequest request, HttpServletResponse response, AccessDeniedException e)
      throws IOException {
    write(
        response,
        Problem.of(
            ProblemType.FORBIDDEN,
            "this key's role may not "
                + request.getMethod()
                + " "
                + request.getRequestURI()
                + " (read: GET only; member: also uploads, jobs, deletes; admin: also keys, audit and"
                + " usage)"));
  }

  /**
   * Token errors from the decoder, without the library's internals (class names, URLs of key sets).
   */
  private static String describe(String description) {
    LoggerFactory.getLogger(Problems.class).debug("bearer token refused: {}", description);
    String lower = description.toLowerCase(Locale.ROOT);
    if (lower.contains("expired")) {
      return "the token has expired";
    }
    if (lower.contains("iss claim") || lower.contains("issuer")) {
      return "the token comes from an issuer this service does not trust";
    }
    if (lower.contains("signature")
        || lower.contains("algorithm")
        || lower.contains("malformed")
        || lower.contains("jws")
        || lower.contains("jwt") && lower.contains("decode")) {
      return "the token's signature or format is invalid";
    }
    if (lower.contains("aud claim") || lower.contains("audience")) {
      return "the token is not meant for this service (audience)";
    }
    return description.replaceAll("https?://\\S+", "<url>");
  }

  /** Writes {@code problem} as the answer. */
  static void write(HttpServletResponse response, Problem problem) throws IOException {
    response.setStatus(problem.status());
    response.setContentType(Problem.MEDIA_TYPE);
    response.getOutputStream().write(problem.json());
  }
}
