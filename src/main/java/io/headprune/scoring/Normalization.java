package io.headprune.scoring;

import io.headprune.problem.InvalidInputException;
import java.util.Locale;

/** Min–max normalisation of head scores, over the whole model or within each layer (§3.5). */
public enum Normalization {
  GLOBAL,
  LAYER;

  /** Parses {@code global} or {@code layer}. */
  public static Normalization parse(String text) {
    try {
      return valueOf(text.trim().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new InvalidInputException("normalization '" + text + "' is not one of global, layer");
    }
  }

  /** Normalised copy of {@code values} (per layer); all zeros where max = min. */
  public double[][] apply(double[][] values) {
    double[][] out = new double[values.length][];
    if (this == LAYER) {
      for (int l = 0; l < values.length; l++) {
        out[l] =
            minMax(values[l], min(new double[][] {values[l]}), max(new double[][] {values[l]}));
      }
      return out;
    }
    double lo = min(values);
    double hi = max(values);
    for (int l = 0; l < values.length; l++) {
      out[l] = minMax(values[l], lo, hi);
    }
    return out;
  }

  private static double[] minMax(double[] row, double lo, double hi) {
    double[] out = new double[row.length];
    if (hi == lo) {
      return out;
    }
    for (int i = 0; i < row.length; i++) {
      out[i] = (row[i] - lo) / (hi - lo);
    }
    return out;
  }

  private static double min(double[][] values) {
    double lo = Double.POSITIVE_INFINITY;
    for (double[] row : values) {
      for (double value : row) {
        lo = Math.min(lo, value);
      }
    }
    return lo;
  }

  private static double max(double[][] values) {
    double hi = Double.NEGATIVE_INFINITY;
    for (double[] row : values) {
      for (double value : row) {
        hi = Math.max(hi, value);
      }
    }
    return hi;
  }
}
