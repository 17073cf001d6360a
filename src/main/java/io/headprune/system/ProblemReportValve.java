package io.headprune.system;

import io.headprune.problem.Problem;
import io.headprune.problem.ProblemType;
import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import org.apache.catalina.connector.Request;
import org.apache.catalina.connector.Response;
import org.apache.catalina.valves.ErrorReportValve;

/**
 * Tomcat's own error answers — a request line or header it cannot parse (a NUL byte, headers past
 * the size limit), a path it refuses (an encoded slash) — as {@code application/problem+json}, not
 * Tomcat's HTML page. The detail names the problem in the request's terms; nothing Tomcat says
 * (which may repeat a header, an API key included) is copied into it.
 */
public class ProblemReportValve extends ErrorReportValve {

  /**
   * The largest request line plus headers Tomcat reads ({@code
   * server.max-http-request-header-size}).
   */
  static volatile long headerLimit = 8 * 1024;

  public ProblemReportValve() {
    setShowReport(false);
    setShowServerInfo(false);
  }

  @Override
  protected void report(Request request, Response response, Throwable throwable) {
    int status = response.getStatus();
    if (status < 400 || response.getContentWritten() > 0 || !response.setErrorReported()) {
      return;
    }
    ProblemType type = ProblemType.ofStatus(status);
    String json =
        new String(
            Problem.of(type, status, type.title(), detail(status)).json(), StandardCharsets.UTF_8);
    try {
      response.setContentType("application/problem+json");
      response.setCharacterEncoding("UTF-8");
      Writer writer = response.getReporter();
      if (writer != null) {
        writer.write(json);
        response.finishResponse();
      }
    } catch (IOException | IllegalStateException e) {
      // the connection is gone or the answer was already under way: nothing more to say
    }
  }

  /** What went wrong, from the status alone (the only thing Tomcat tells reliably). */
  static String detail(int status) {
    return switch (status) {
      case 400 ->
          "the request line, a header or the path is malformed (control characters, an encoded"
              + " slash or backslash, or headers past the server's limit of "
              + headerLimit
              + " bytes in all)";
      case 414, 431 ->
          "the request line and headers are longer than the server's limit of "
              + headerLimit
              + " bytes";
      default -> ProblemType.describe(status);
    };
  }
}
