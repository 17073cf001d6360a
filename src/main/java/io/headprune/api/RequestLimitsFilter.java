package io.headprune.api;

import io.headprune.problem.Problem;
import io.headprune.problem.ProblemType;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ReadListener;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletInputStream;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletRequestWrapper;
import jakarta.servlet.http.HttpServletResponse;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.stereotype.Component;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * What a request may be, checked before anything reads it (authentication included):
 *
 * <ul>
 *   <li>{@code /error}, where the server renders errors, is not a resource (404);
 *   <li>headers that have one meaning only — {@code Authorization}, {@code Idempotency-Key}, {@code
 *       Content-Type}, {@code Content-Length} — are given once (400 otherwise: which of two keys
 *       would count?);
 *   <li>multipart bodies go to the upload endpoints only (415 elsewhere, before the body is spooled
 *       to disk);
 *   <li>any other body is at most 1 MiB, whether it announces its length or comes chunked: past the
 *       limit reading stops and the answer is 413.
 * </ul>
 */
@Component
@Order(Ordered.HIGHEST_PRECEDENCE)
class RequestLimitsFilter extends OncePerRequestFilter {

  static final long MAX_JSON_BYTES = 1 << 20;

  static final List<String> SINGLE_HEADERS =
      List.of("Authorization", "Idempotency-Key", "Content-Type", "Content-Length");

  /** The endpoints that take multipart uploads (POST). */
  static final List<String> UPLOADS = List.of("/v1/models", "/v1/datasets");

  /** Thrown while reading a body past the limit; the problem handler answers 413. */
  static final class BodyTooLarge extends IOException {
    BodyTooLarge() {
      super(
          "request body exceeds the limit of " + MAX_JSON_BYTES + " bytes for JSON requests", null);
    }
  }

  @Override
  protected void doFilterInternal(
      HttpServletRequest request, HttpServletResponse response, FilterChain chain)
      throws ServletException, IOException {
    if (request.getRequestURI().equals("/error")) { // the error page is not a resource
      write(response, ProblemType.NOT_FOUND, "/error is not a resource");
      return;
    }
    for (String name : SINGLE_HEADERS) {
      int count = Collections.list(request.getHeaders(name)).size();
      if (count > 1) {
        write(
            response,
            ProblemType.INVALID_REQUEST,
            "header " + name + " is given " + count + " times; send it once");
        return;
      }
    }
    String type = request.getContentType();
    boolean multipart = type != null && type.toLowerCase(Locale.ROOT).startsWith("multipart/");
    if (multipart) {
      if (!"POST".equals(request.getMethod()) || !UPLOADS.contains(request.getRequestURI())) {
        write(
            response,
            ProblemType.UNSUPPORTED_MEDIA_TYPE,
            "multipart bodies are taken by POST /v1/models and POST /v1/datasets only");
        return;
      }
      chain.doFilter(request, response);
      return;
    }
    if (request.getContentLengthLong() > MAX_JSON_BYTES) {
      write(
          response,
          ProblemType.TOO_LARGE,
          "request body of "
              + request.getContentLengthLong()
              + " bytes exceeds the limit of "
              + MAX_JSON_BYTES
              + " bytes for JSON requests");
      return;
    }
    chain.doFilter(new Bounded(request), response);
  }

  private static void write(HttpServletResponse response, ProblemType type, String detail)
      throws IOException {
    Problem problem = Problem.of(type, detail);
    response.setStatus(problem.status());
    response.setContentType(Problem.MEDIA_TYPE);
    response.getOutputStream().write(problem.json());
  }

  /** A request whose body stops at {@link #MAX_JSON_BYTES}, however it is sent. */
  private static final class Bounded extends HttpServletRequestWrapper {
    private ServletInputStream bounded;

    Bounded(HttpServletRequest request) {
      super(request);
    }

    @Override
    public ServletInputStream getInputStream() throws IOException {
      if (bounded == null) {
        ServletInputStream in = super.getInputStream();
        bounded =
            new ServletInputStream() {
              long read;

              @Override
              public int read() throws IOException {
                int b = in.read();
                if (b >= 0 && ++read > MAX_JSON_BYTES) {
                  throw new BodyTooLarge();
                }
                return b;
              }

              @Override
              public int read(byte[] buffer, int offset, int length) throws IOException {
                int n = in.read(buffer, offset, length);
                if (n > 0 && (read += n) > MAX_JSON_BYTES) {
                  throw new BodyTooLarge();
                }
                return n;
              }

              @Override
              public boolean isFinished() {
                return in.isFinished();
              }

              @Override
              public boolean isReady() {
                return in.isReady();
              }

              @Override
              public void setReadListener(ReadListener listener) {
                in.setReadListener(listener);
              }
            };
      }
      return bounded;
    }

    @Override
    public BufferedReader getReader() throws IOException {
      String encoding = getCharacterEncoding();
      return new BufferedReader(
          new InputStreamReader(
              getInputStream(),
              encoding == null ? StandardCharsets.UTF_8 : Charset.forName(encoding)));
    }
  }
}
