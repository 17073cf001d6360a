package io.headprune.api;

import io.headprune.jobs.JobView;
import java.util.List;

/**
 * One page of jobs.
 *
 * @param items the jobs, newest first
 * @param page page index (from 0)
 * @param size page size
 * @param totalItems jobs matching the filter
 * @param totalPages pages
 */
record JobPage(List<JobView> items, int page, int size, long totalItems, int totalPages) {}
