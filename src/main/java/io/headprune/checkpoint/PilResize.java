package io.headprune.checkpoint;

/**
 * Pillow's 8-bit resampling (libImaging/Resample.c), bit for bit: a separable convolution,
 * horizontal pass first (only when the width changes), then vertical (only when the height
 * changes); the filter's support widens by in/out when downscaling (so it antialiases); weights are
 * normalised in double and turned into 22-bit fixed point; each pass rounds, clips and stores uint8
 * before the next. Written here because no Java library reproduces it, and one level off in a pixel
 * moves a ViT's logits past 1e-4.
 */
public final class PilResize {

  /** Pillow's resample filters headprune implements. */
  public enum Filter {
    /** {@code resample = 2}: triangle filter, support 1. */
    BILINEAR(1.0),
    /** {@code resample = 3}: Keys cubic with a = −0.5, support 2. */
    BICUBIC(2.0);

    private final double support;

    Filter(double support) {
      this.support = support;
    }

    double weight(double x) {
      double t = Math.abs(x);
      if (this == BILINEAR) {
        return t < 1.0 ? 1.0 - t : 0.0;
      }
      double a = -0.5;
      if (t < 1.0) {
        return ((a + 2.0) * t - (a + 3.0)) * t * t + 1;
      }
      if (t < 2.0) {
        return (((t - 5) * t + 8) * t - 4) * a;
      }
      return 0.0;
    }
  }

  private static final int PRECISION_BITS = 32 - 8 - 2;

  private PilResize() {}

  /**
   * Resizes interleaved 8-bit RGB {@code pixels} (height × width × 3, row-major, values 0–255) to
   * {@code outHeight × outWidth}.
   */
  public static int[] resize(
      int[] pixels, int height, int width, int outHeight, int outWidth, Filter filter) {
    int[] image = pixels;
    int w = width;
    if (width != outWidth) {
      image = pass(image, height, width, outWidth, filter, true);
      w = outWidth;
    }
    if (height != outHeight) {
      image = pass(image, height, w, outHeight, filter, false);
    }
    return image == pixels ? pixels.clone() : image;
  }

  /** Per output pixel: first input index, then the integer weights. */
  private record Coefficients(int[] first, int[][] weights) {}

  private static Coefficients coefficients(int in, int out, Filter filter) {
    double scale = (double) in / out;
    double filterScale = Math.max(scale, 1.0);
    double support = filter.support * filterScale;
    double inverse = 1.0 / filterScale;
    int[] first = new int[out];
    int[][] weights = new int[out][];
    for (int i = 0; i < out; i++) {
      double center = (i + 0.5) * scale;
      int min = Math.max((int) (center - support + 0.5), 0); // C's (int) truncates toward zero
      int count = Math.min((int) (center + support + 0.5), in) - min;
      double[] w = new double[Math.max(count, 0)];
      double total = 0;
      for (int j = 0; j < w.length; j++) {
        w[j] = filter.weight((j + min - center + 0.5) * inverse);
        total += w[j];
      }
      int[] fixed = new int[w.length];
      for (int j = 0; j < w.length; j++) {
        double v = total != 0.0 ? w[j] / total : w[j];
        fixed[j] =
            (int) (v < 0 ? -0.5 + v * (1 << PRECISION_BITS) : 0.5 + v * (1 << PRECISION_BITS));
      }
      first[i] = min;
      weights[i] = fixed;
    }
    return new Coefficients(first, weights);
  }

  private static int[] pass(
      int[] image, int height, int width, int out, Filter filter, boolean horizontal) {
    Coefficients c = coefficients(horizontal ? width : height, out, filter);
    int outHeight = horizontal ? height : out;
    int outWidth = horizontal ? out : width;
    int[] result = new int[outHeight * outWidth * 3];
    for (int y = 0; y < outHeight; y++) {
      for (int x = 0; x < outWidth; x++) {
        int target = horizontal ? x : y;
        int[] weights = c.weights()[target];
        int first = c.first()[target];
        for (int channel = 0; channel < 3; channel++) {
          long sum = 1L << (PRECISION_BITS - 1);
          for (int j = 0; j < weights.length; j++) {
            int source = horizontal ? (y * width + first + j) : ((first + j) * width + x);
            sum += (long) image[source * 3 + channel] * weights[j];
          }
          long value = sum >> PRECISION_BITS;
          result[(y * outWidth + x) * 3 + channel] = (int) Math.max(0, Math.min(255, value));
        }
      }
    }
    return result;
  }
}
