package io.headprune.jobs;

import java.util.List;
import java.util.UUID;

/**
 * A job's events as {@code GET /v1/jobs/{id}/events} shows them.
 *
 * @param job the job's id
 * @param status its status now
 * @param events what happened to it, oldest first: submission with its plan, each attempt's start,
 *     the worker's plan, phase changes, the automatic α and target decisions, retries, the end
 */
public record JobEventList(UUID job, JobStatus status, List<JobEvents.Event> events) {

  public JobEventList {
    events = List.copyOf(events);
  }
}
