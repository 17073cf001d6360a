package io.headprune.api;

import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.matchesPattern;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.Mockito.when;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.get;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.content;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.header;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.jsonPath;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.status;

import io.headprune.jobs.JobPush;
import io.headprune.jobs.Jobs;
import io.headprune.problem.BusyException;
import io.headprune.problem.ConflictException;
import io.headprune.problem.NotFoundException;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.webmvc.test.autoconfigure.AutoConfigureMockMvc;
import org.springframework.boot.webmvc.test.autoconfigure.WebMvcTest;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Import;
import org.springframework.dao.DataAccessResourceFailureException;
import org.springframework.test.context.bean.override.mockito.MockitoBean;
import org.springframework.test.web.servlet.MockMvc;

/**
 * The API's status and problem mapping, in a web slice: the jobs controller and the problem handler
 * over a mocked service, no database, no security filters (their 401/403 are the security tests').
 * Each kind of failure becomes its status with one problem form: type, title, status, a detail
 * naming the problem, and an occurrence id.
 */
@WebMvcTest
@AutoConfigureMockMvc(addFilters = false)
class ProblemMappingTest {

  /** Only the controller and the handler: not the application's JPA, queue or security. */
  @Configuration(proxyBeanMethods = false)
  @Import({JobsController.class, ProblemHandler.class})
  static class Slice {}

  @MockitoBean Jobs jobs;
  @MockitoBean JobPush pushes;
  @Autowired MockMvc mvc;

  private static final UUID JOB = UUID.fromString("8e1c4f0a-3b2d-4c5e-9f60-1a2b3c4d5e6f");

  @Test
  void aStateConflictIsA409Problem() throws Exception {
    when(jobs.heads(JOB))
        .thenThrow(
            new ConflictException(
                "job " + JOB + " is RUNNING; its outputs exist once it has SUCCEEDED"));
    mvc.perform(get("/v1/jobs/" + JOB + "/heads"))
        .andExpect(status().isConflict())
        .andExpect(content().contentTypeCompatibleWith("application/problem+json"))
        .andExpect(jsonPath("$.type").value("https://headprune.io/problems/conflict"))
        .andExpect(jsonPath("$.status").value(409))
        .andExpect(jsonPath("$.detail").value(containsString("is RUNNING")))
        .andExpect(jsonPath("$.instance").value(matchesPattern("urn:uuid:[0-9a-f-]{36}")));
  }

  @Test
  void aMissingResourceIsA404Problem() throws Exception {
    when(jobs.evaluations(any(), any(), any()))
        .thenThrow(new NotFoundException("job does not exist"));
    mvc.perform(get("/v1/jobs/" + JOB + "/evaluations"))
        .andExpect(status().isNotFound())
        .andExpect(content().contentTypeCompatibleWith("application/problem+json"))
        .andExpect(jsonPath("$.status").value(404))
        .andExpect(jsonPath("$.detail").value("job does not exist"));
  }

  @Test
  void aMalformedIdOrAnOutOfRangeParameterIsA400ProblemNamingIt() throws Exception {
    mvc.perform(get("/v1/jobs/not-a-uuid/heads"))
        .andExpect(status().isBadRequest())
        .andExpect(content().contentTypeCompatibleWith("application/problem+json"))
        .andExpect(jsonPath("$.detail").value(containsString("id")));
    mvc.perform(get("/v1/jobs/" + JOB + "/evaluations?sparsity=2"))
        .andExpect(status().isBadRequest())
        .andExpect(content().contentTypeCompatibleWith("application/problem+json"))
        .andExpect(jsonPath("$.detail").value(containsString("sparsity must be in [0, 1]")));
  }

  @Test
  void theDatabaseAwayIsA503WithRetryAfter() throws Exception {
    when(jobs.heads(JOB)).thenThrow(new DataAccessResourceFailureException("connection refused"));
    mvc.perform(get("/v1/jobs/" + JOB + "/heads"))
        .andExpect(status().isServiceUnavailable())
        .andExpect(header().string("Retry-After", "5"))
        .andExpect(content().contentTypeCompatibleWith("application/problem+json"))
        .andExpect(jsonPath("$.detail").value(containsString("database")));
  }

  @Test
  void aServerAtCapacityIsA503WithItsOwnRetryAfter() throws Exception {
    when(jobs.heads(JOB))
        .thenThrow(new BusyException("the server is validating 2 other uploads; retry later", 30));
    mvc.perform(get("/v1/jobs/" + JOB + "/heads"))
        .andExpect(status().isServiceUnavailable())
        .andExpect(header().string("Retry-After", "30"))
        .andExpect(content().contentTypeCompatibleWith("application/problem+json"))
        .andExpect(jsonPath("$.type").value("https://headprune.io/problems/server-busy"))
        .andExpect(jsonPath("$.detail").value(containsString("retry later")));
  }
}
