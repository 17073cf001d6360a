package io.headprune.scoring;

/**
 * Per-head HIS and attention entropy averaged over the calibration examples (§3.3, §3.4).
 *
 * @param heads per layer, the original head indices
 * @param his per layer and head, mean over examples of |∂L(x)/∂g| / n(x)
 * @param entropy per layer and head, mean normalised attention entropy in [0, 1]
 * @param examples number of examples the means are over
 */
public record RawScores(int[][] heads, double[][] his, double[][] entropy, int examples) {}
