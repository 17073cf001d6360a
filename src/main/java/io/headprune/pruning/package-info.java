/**
 * Writes pruned checkpoints: {@code pruned/} with the heads physically sliced out and {@code
 * pruned_heads} recorded in config.json, and {@code masked/} with the same shapes as the input and
 * the heads' value and output weights zeroed. Uses checkpoint and scoring records; imports no
 * Spring or JPA.
 */
package io.headprune.pruning;
