package io.headprune.security;

import io.headprune.jobs.Databases;
import io.headprune.problem.Problem;
import io.headprune.problem.ProblemType;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.http.HttpHeaders;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * Verifying a key reads the database: while it is unreachable the caller gets the same fast 503
 * with Retry-After as every other call, not a 500 (nor a 401: the key may be fine).
 */
final class DatabaseOutageFilter extends OncePerRequestFilter {

  private static final Logger log = LoggerFactory.getLogger(DatabaseOutageFilter.class);

  /** Seconds a client should wait before retrying. */
  static final int RETRY_SECONDS = 5;

  @Override
  protected void doFilterInternal(
      HttpServletRequest request, HttpServletResponse response, FilterChain chain)
      throws ServletException, IOException {
    try {
      chain.doFilter(request, response);
    } catch (RuntimeException e) {
      if (Databases.busy(e) && !response.isCommitted()) {
        Databases.countBusy("request");
        log.warn("every database connection is in use while authenticating: {}", e.getMessage());
        response.setHeader(HttpHeaders.RETRY_AFTER, "1");
        Problems.write(
            response,
            Problem.of(
                ProblemType.SERVER_BUSY,
                "the server is busy: every database connection stayed in use for "
                    + "spring.datasource.hikari.connection-timeout; retry in 1 second"));
        return;
      }
      if (!Databases.unreachable(e) || response.isCommitted()) {
        throw e;
      }
      log.warn("database unavailable while authenticating: {}", e.getMessage());
      response.setHeader(HttpHeaders.RETRY_AFTER, Integer.toString(RETRY_SECONDS));
      Problems.write(
          response,
          Problem.of(
              ProblemType.DATABASE_UNAVAILABLE,
              "the database is unreachable; retry in " + RETRY_SECONDS + " seconds"));
    }
  }
}
