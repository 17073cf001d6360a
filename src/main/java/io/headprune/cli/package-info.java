/**
 * The command line: {@code score} and {@code prune} as ARCHITECTURE.md §5 specifies, with progress
 * lines on stderr and one-line errors. Uses the engine packages; no Spring.
 */
package io.headprune.cli;
