package io.headprune.scoring;

import java.util.List;

/** Task metrics of a model's logits against labels, and agreement with another model. */
public final class Predictions {

  private Predictions() {}

  /** Argmax of each row (classification) or the single output (regression, returned as is). */
  public static double[] predicted(float[][] logits, boolean regression) {
    double[] out = new double[logits.length];
    for (int i = 0; i < logits.length; i++) {
      if (regression) {
        out[i] = logits[i][0];
        continue;
      }
      int best = 0;
      for (int c = 1; c < logits[i].length; c++) {
        if (logits[i][c] > logits[i][best]) {
          best = c;
        }
      }
      out[i] = best;
    }
    return out;
  }

  /** Share of labeled examples whose prediction equals the label; NaN when none is labeled. */
  public static double accuracy(double[] predicted, List<Encoded> examples) {
    int labeled = 0;
    int correct = 0;
    for (int i = 0; i < predicted.length; i++) {
      Double label = examples.get(i).label();
      if (label != null) {
        labeled++;
        correct += predicted[i] == label ? 1 : 0;
      }
    }
    return labeled == 0 ? Double.NaN : (double) correct / labeled;
  }

  /** Share of examples whose prediction equals the reference prediction (the stability proxy). */
  public static double agreement(double[] predicted, double[] reference) {
    int same = 0;
    for (int i = 0; i < predicted.length; i++) {
      same += predicted[i] == reference[i] ? 1 : 0;
    }
    return predicted.length == 0 ? Double.NaN : (double) same / predicted.length;
  }
}
