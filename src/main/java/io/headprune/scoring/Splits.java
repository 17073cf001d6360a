package io.headprune.scoring;

import io.headprune.problem.InvalidInputException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;

/**
 * The calibration pool split once, deterministically, into the part calibration samples are drawn
 * from, a validation part (only for automatic α) and an evaluation part (only when no evaluation
 * set is given) — no example in two parts (§3.9).
 *
 * @param calibration indices calibration samples are drawn from
 * @param validation indices only α selection sees (may be empty)
 * @param evaluation held-out indices used as the evaluation set (may be empty)
 */
public record Splits(
    List<Integer> calibration, List<Integer> validation, List<Integer> evaluation) {

  /** Most examples a held-out part takes: more adds little precision and much evaluation time. */
  public static final int HELD_OUT_CAP = 10_000;

  /** Fixed seed of the one split, so that the parts never depend on the run's seeds. */
  private static final long SPLIT_SEED = 0x48_49_45_53L;

  public Splits {
    calibration = List.copyOf(calibration);
    validation = List.copyOf(validation);
    evaluation = List.copyOf(evaluation);
  }

  /** Splits a pool of {@code size} examples. */
  public static Splits of(int size, double validationFraction, double evaluationFraction) {
    if (validationFraction < 0
        || evaluationFraction < 0
        || validationFraction + evaluationFraction >= 1) {
      throw new InvalidInputException(
          "validation and evaluation fractions "
              + validationFraction
              + " + "
              + evaluationFraction
              + " must be non-negative and leave part of the pool for calibration");
    }
    List<Integer> order = new ArrayList<>();
    for (int i = 0; i < size; i++) {
      order.add(i);
    }
    Collections.shuffle(order, new Random(SPLIT_SEED));
    int evaluation = (int) Math.min(HELD_OUT_CAP, Math.round(size * evaluationFraction));
    int validation = (int) Math.min(HELD_OUT_CAP, Math.round(size * validationFraction));
    if (size - evaluation - validation < 1
        || (evaluationFraction > 0 && evaluation < 1)
        || (validationFraction > 0 && validation < 1)) {
      throw new InvalidInputException(
          "calibration pool of " + size + " examples is too small to split");
    }
    return new Splits(
        sorted(order.subList(evaluation + validation, size)),
        sorted(order.subList(evaluation, evaluation + validation)),
        sorted(order.subList(0, evaluation)));
  }

  /** Seed {@code seed}'s calibration sample: {@code count} indices without replacement, or all. */
  public List<Integer> sample(int count, long seed) {
    if (count >= calibration.size()) {
      return calibration;
    }
    List<Integer> shuffled = new ArrayList<>(calibration);
    Collections.shuffle(shuffled, new Random(seed));
    return sorted(shuffled.subList(0, count));
  }

  private static List<Integer> sorted(List<Integer> indices) {
    return indices.stream().sorted().toList();
  }
}
