package io.headprune.scoring;

import io.headprune.problem.InvalidInputException;
import java.util.Arrays;
import java.util.Locale;

/**
 * Task metrics (§3.10): on labeled examples, higher is better; a causal language model's
 * perplexity, lower is better.
 */
public enum Metric {
  ACCURACY,
  F1,
  MCC,
  PEARSON,
  SPEARMAN,
  /** exp(Σ NLL / Σ predicted tokens); lower is better. */
  PERPLEXITY,
  /**
   * Multiple choice as lm-evaluation-harness's acc_norm: the choice with the largest log-likelihood
   * divided by its length in characters.
   */
  ACC_NORM;

  /** Parses a metric name, case-insensitively. */
  public static Metric parse(String text) {
    try {
      return valueOf(text.trim().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new InvalidInputException(
          "metric '"
              + text
              + "' is not one of accuracy, f1, mcc, pearson, spearman, perplexity, acc_norm");
    }
  }

  /** The default metric: accuracy for classification, Pearson for regression. */
  public static Metric defaultFor(boolean regression) {
    return regression ? PEARSON : ACCURACY;
  }

  /** Whether a larger value is better (all but perplexity). */
  public boolean higherIsBetter() {
    return this != PERPLEXITY;
  }

  /** True when {@code value} is strictly better than {@code other}. */
  public boolean better(double value, double other) {
    return higherIsBetter() ? value > other : value < other;
  }

  /**
   * How much worse {@code value} is than {@code dense} (negative: better): in the metric's units,
   * and for perplexity, which is unbounded, relative to the dense value — so a budget is in [0, 1]
   * for every metric.
   */
  public double worsening(double dense, double value) {
    return higherIsBetter() ? dense - value : (value - dense) / dense;
  }

  /** The worst possible value, the start of a search for the best. */
  public double worst() {
    return higherIsBetter() ? Double.NEGATIVE_INFINITY : Double.POSITIVE_INFINITY;
  }

  /** The lower-case name used in files and the API. */
  public String id() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** Checks that this metric applies to the task. */
  public void checkApplies(boolean regression, int classes) {
    if (this == PERPLEXITY || this == ACC_NORM) {
      throw new InvalidInputException("metric " + id() + " applies to causal language models only");
    }
    boolean regressionMetric = this == PEARSON || this == SPEARMAN;
    if (regressionMetric != regression) {
      throw new InvalidInputException(
          "metric "
              + id()
              + " does not apply to a "
              + (regression ? "regression" : "classification")
              + " model");
    }
    if (this == F1 && classes != 2) {
      throw new InvalidInputException(
          "metric f1 needs a binary task; the model has " + classes + " labels");
    }
  }

  /** The metric of {@code predicted} against {@code labels} (same length, no missing labels). */
  public double compute(double[] predicted, double[] labels) {
    if (predicted.length != labels.length) {
      throw new IllegalArgumentException("predictions and labels differ in length");
    }
    if (labels.length == 0) {
      return Double.NaN;
    }
    return switch (this) {
      case ACCURACY, ACC_NORM -> accuracy(predicted, labels);
      case F1 -> f1(predicted, labels);
      case MCC -> matthews(predicted, labels);
      case PEARSON -> pearson(predicted, labels);
      case SPEARMAN -> pearson(ranks(predicted), ranks(labels));
      case PERPLEXITY ->
          throw new IllegalStateException(
              "perplexity comes from log-probabilities, not predictions");
    };
  }

  private static double accuracy(double[] predicted, double[] labels) {
    int correct = 0;
    for (int i = 0; i < labels.length; i++) {
      correct += predicted[i] == labels[i] ? 1 : 0;
    }
    return (double) correct / labels.length;
  }

  /** F1 of the positive class 1; 0 when there are no true positives. */
  private static double f1(double[] predicted, double[] labels) {
    int truePositive = 0;
    int falsePositive = 0;
    int falseNegative = 0;
    for (int i = 0; i < labels.length; i++) {
      boolean p = predicted[i] == 1;
      boolean l = labels[i] == 1;
      truePositive += p && l ? 1 : 0;
      falsePositive += p && !l ? 1 : 0;
      falseNegative += !p && l ? 1 : 0;
    }
    return truePositive == 0
        ? 0
        : 2.0 * truePositive / (2.0 * truePositive + falsePositive + falseNegative);
  }

  /**
   * Matthews correlation for K classes (Gorodkin); 0 when the denominator is 0, as scikit-learn.
   */
  private static double matthews(double[] predicted, double[] labels) {
    int classes = 0;
    for (int i = 0; i < labels.length; i++) {
      classes = Math.max(classes, (int) Math.max(predicted[i], labels[i]) + 1);
    }
    double[] truth = new double[classes];
    double[] prediction = new double[classes];
    double correct = 0;
    for (int i = 0; i < labels.length; i++) {
      truth[(int) labels[i]]++;
      prediction[(int) predicted[i]]++;
      correct += predicted[i] == labels[i] ? 1 : 0;
    }
    double n = labels.length;
    double covariance = correct * n;
    double truthSquares = n * n;
    double predictionSquares = n * n;
    for (int k = 0; k < classes; k++) {
      covariance -= truth[k] * prediction[k];
      truthSquares -= truth[k] * truth[k];
      predictionSquares -= prediction[k] * prediction[k];
    }
    double denominator = Math.sqrt(truthSquares * predictionSquares);
    return denominator == 0 ? 0 : covariance / denominator;
  }

  /** Pearson correlation; NaN when either side is constant. */
  private static double pearson(double[] x, double[] y) {
    double meanX = Arrays.stream(x).average().orElse(0);
    double meanY = Arrays.stream(y).average().orElse(0);
    double covariance = 0;
    double varianceX = 0;
    double varianceY = 0;
    for (int i = 0; i < x.length; i++) {
      covariance += (x[i] - meanX) * (y[i] - meanY);
      varianceX += (x[i] - meanX) * (x[i] - meanX);
      varianceY += (y[i] - meanY) * (y[i] - meanY);
    }
    return covariance / Math.sqrt(varianceX * varianceY);
  }

  /** Ranks starting at 1, ties sharing their average rank. */
  static double[] ranks(double[] values) {
    Integer[] order = new Integer[values.length];
    for (int i = 0; i < order.length; i++) {
      order[i] = i;
    }
    Arrays.sort(order, (a, b) -> Double.compare(values[a], values[b]));
    double[] ranks = new double[values.length];
    for (int start = 0; start < order.length; ) {
      int end = start;
      while (end + 1 < order.length && values[order[end + 1]] == values[order[start]]) {
        end++;
      }
      double rank = (start + end) / 2.0 + 1;
      for (int i = start; i <= end; i++) {
        ranks[order[i]] = rank;
      }
      start = end + 1;
    }
    return ranks;
  }
}
