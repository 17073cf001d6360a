package io.headprune.pruning;

import com.fasterxml.jackson.annotation.JsonValue;
import io.headprune.problem.InvalidInputException;
import java.util.Locale;

/** What is done to the kept heads once the pruned ones are gone, without retraining. */
public enum Recovery {
  /** The original minus its heads. */
  NONE,
  /**
   * Every kept head's output-projection columns scaled, layer by layer, to reconstruct the unpruned
   * attention output on the calibration tokens ({@link io.headprune.scoring.Rescaling}).
   */
  RESCALE;

  /** The name in requests, reports and flags: none or rescale. */
  @JsonValue
  public String id() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** {@code none} or {@code rescale}. */
  public static Recovery parse(String text) {
    for (Recovery recovery : values()) {
      if (recovery.id().equals(text)) {
        return recovery;
      }
    }
    throw new InvalidInputException("recovery must be none or rescale, not '" + text + "'");
  }
}
