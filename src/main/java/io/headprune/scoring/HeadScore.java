package io.headprune.scoring;

/**
 * One head's scores, as {@code scores.json} lists them.
 *
 * @param layer layer index
 * @param head original head index
 * @param his head importance score (raw)
 * @param entropy mean normalised attention entropy (raw, in [0, 1])
 * @param hisNorm min–max normalised HIS
 * @param entropyNorm min–max normalised entropy
 * @param hies α·hisNorm + (1 − α)·(1 − entropyNorm)
 */
public record HeadScore(
    int layer,
    int head,
    double his,
    double entropy,
    double hisNorm,
    double entropyNorm,
    double hies) {

  /** This head's identity. */
  public HeadRef ref() {
    return new HeadRef(layer, head);
  }
}
