package io.headprune.api;

import io.headprune.problem.Problem;
import io.headprune.problem.ProblemType;
import io.swagger.v3.oas.annotations.Hidden;
import jakarta.servlet.RequestDispatcher;
import jakarta.servlet.http.HttpServletRequest;
import java.time.Instant;
import org.springframework.boot.webmvc.error.ErrorController;
import org.springframework.http.MediaType;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;

/**
 * The error page, as every other error: {@code application/problem+json}. It renders errors the
 * servlet container or a filter raised with a status alone (a request the firewall refused, an
 * exception before a controller ran), in place of Spring Boot's own JSON.
 */
@RestController
@Hidden
class ProblemErrorController implements ErrorController {

  @RequestMapping("/error")
  ResponseEntity<ProblemDetail> error(HttpServletRequest request) {
    Object code = request.getAttribute(RequestDispatcher.ERROR_STATUS_CODE);
    int status = code instanceof Integer value && value >= 400 ? value : 500;
    ProblemType type = ProblemType.ofStatus(status);
    ProblemDetail problem =
        ProblemHandler.detail(
            Problem.of(
                type,
                status,
                type.title(),
                status == 500
                    ? "the server failed (logged at " + Instant.now() + ")"
                    : ProblemType.describe(status)));
    return ResponseEntity.status(status)
        .contentType(MediaType.APPLICATION_PROBLEM_JSON)
        .body(problem);
  }
}
