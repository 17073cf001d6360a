package io.headprune.storage;

/**
 * Bounds on an uploaded archive.
 *
 * @param maxEntries most entries
 * @param maxExpandedBytes largest total expanded size
 * @param maxCompressionRatio largest expanded/compressed ratio of one entry, and of the whole
 *     archive
 */
public record ArchiveLimits(int maxEntries, long maxExpandedBytes, int maxCompressionRatio) {}
