package io.headprune.api;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.stereotype.Component;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * JSON request bodies are small: anything but a multipart upload is refused past 1 MiB with 413,
 * before it is read (uploads have their own, configurable bound).
 */
@Component
@Order(Ordered.HIGHEST_PRECEDENCE)
class RequestSizeFilter extends OncePerRequestFilter {

  static final long MAX_JSON_BYTES = 1 << 20;

  @Override
  protected void doFilterInternal(
      HttpServletRequest request, HttpServletResponse response, FilterChain chain)
      throws ServletException, IOException {
    String type = request.getContentType();
    boolean multipart =
        type != null && type.toLowerCase(java.util.Locale.ROOT).startsWith("multipart/");
    if (!multipart && request.getContentLengthLong() > MAX_JSON_BYTES) {
      response.setStatus(413);
      response.setContentType("application/problem+json");
      response
          .getWriter()
          .write(
              "{\"type\":\""
                  + io.headprune.problem.ProblemType.TOO_LARGE.uri()
                  + "\",\"title\":\"Request too large\",\"status\":413,"
                  + "\"detail\":\"request body of "
                  + request.getContentLengthLong()
                  + " bytes exceeds the limit of "
                  + MAX_JSON_BYTES
                  + " bytes for JSON requests\"}");
      return;
    }
    chain.doFilter(request, response);
  }
}
