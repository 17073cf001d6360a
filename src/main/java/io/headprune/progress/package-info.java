/**
 * Progress and control of long work: a job's phases, the progress a run reports after each batch,
 * and the token that asks a run to stop (checked by the engine between batches, never mid-batch).
 * Shared by the engine (scoring, pruning), the jobs that run it and the command line; depends on
 * nothing of headprune's.
 */
package io.headprune.progress;
