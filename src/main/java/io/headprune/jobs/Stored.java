package io.headprune.jobs;

/**
 * The result of storing an upload: the stored item and whether these bytes were new.
 *
 * @param value the model or dataset
 * @param created false when the same bytes were stored before (the same id is returned)
 */
public record Stored<T>(T value, boolean created) {}
