/**
 * Transformer forward passes written from DJL NDArray ops, one architecture per file in
 * forward order, with per-example head gates and every layer's attention probabilities
 * exposed for scoring. Uses checkpoint; imports no Spring or JPA.
 */
package io.headprune.model;
