package io.headprune.api;

import io.headprune.problem.Problem;
import io.headprune.problem.ProblemType;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.stereotype.Component;
import org.springframework.web.filter.OncePerRequestFilter;
import org.springframework.web.util.UrlPathHelper;

/** With {@code headprune.role=worker} the process serves actuator only, not the API. */
@Component
@ConditionalOnProperty(name = "headprune.role", havingValue = "worker")
class WorkerRoleFilter extends OncePerRequestFilter {

  private static final UrlPathHelper PATHS = new UrlPathHelper();

  @Override
  protected void doFilterInternal(
      HttpServletRequest request, HttpServletResponse response, FilterChain chain)
      throws ServletException, IOException {
    // the path as Spring resolves it: decoded (%76%31 is v1) and without ;parameters (/v1;x/jobs)
    String path = PATHS.getLookupPathForRequest(request);
    if (path.startsWith("/v1/") || path.equals("/v1")) {
      Problem problem =
          Problem.of(
              ProblemType.NOT_FOUND,
              "this process runs the worker role; the API is served by api processes");
      response.setStatus(problem.status());
      response.setContentType(Problem.MEDIA_TYPE);
      response.getOutputStream().write(problem.json());
      return;
    }
    chain.doFilter(request, response);
  }
}
