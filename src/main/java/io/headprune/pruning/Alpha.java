package io.headprune.pruning;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import io.headprune.problem.InvalidInputException;
import java.util.Locale;

/**
 * HIES's weight α: fixed, or chosen per sparsity from {@link PruneOptions#ALPHA_GRID} by a rule.
 */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "kind")
@JsonSubTypes({
  @JsonSubTypes.Type(value = Alpha.Fixed.class, name = "fixed"),
  @JsonSubTypes.Type(value = Alpha.Auto.class, name = "auto")
})
public sealed interface Alpha permits Alpha.Fixed, Alpha.Auto {

  /** How an automatic α is chosen at each sparsity. */
  enum Rule {
    /**
     * The lowest mean KL(dense ‖ pruned) over held-out pool examples no calibration draw of the
     * seed uses (no labels needed); ties go to the larger α.
     */
    DIVERGENCE,
    /** The best mean task metric on a validation split carved from the pool (labels needed). */
    METRIC;

    public String id() {
      return name().toLowerCase(Locale.ROOT);
    }

    public static Rule parse(String text) {
      for (Rule rule : values()) {
        if (rule.id().equals(text)) {
          return rule;
        }
      }
      throw new InvalidInputException(
          "alphaBy '" + text + "' is unknown; use divergence or metric");
    }
  }

  /** A fixed α in [0, 1]. */
  record Fixed(double value) implements Alpha {
    public Fixed {
      if (!(value >= 0 && value <= 1)) {
        throw new InvalidInputException("alpha " + value + " is outside [0, 1]");
      }
    }
  }

  /** α chosen per sparsity by {@code by}. */
  record Auto(Rule by) implements Alpha {
    public Auto {
      if (by == null) {
        throw new InvalidInputException("an automatic alpha needs a rule: divergence or metric");
      }
    }
  }

  /** {@code "auto"} (with {@code by}, default divergence) or a number in [0, 1]. */
  static Alpha parse(String text, String by) {
    if ("auto".equals(text)) {
      return new Auto(by == null ? Rule.DIVERGENCE : Rule.parse(by));
    }
    if (by != null) {
      throw new InvalidInputException("alphaBy applies to alpha \"auto\" only");
    }
    try {
      return new Fixed(Double.parseDouble(text));
    } catch (NumberFormatException e) {
      throw new InvalidInputException(
          "alpha '" + text + "' is neither a number in [0, 1] nor auto");
    }
  }
}
