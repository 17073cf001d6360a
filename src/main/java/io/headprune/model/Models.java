package io.headprune.model;

import ai.djl.Device;
import io.headprune.checkpoint.Checkpoint;
import io.headprune.problem.UnsupportedModelException;

/** Loads the architecture a checkpoint's config.json names. */
public final class Models {

  private Models() {}

  /** The model of {@code checkpoint} on {@code device}: BERT, RoBERTa or DistilBERT. */
  public static HeadModel load(Checkpoint checkpoint, Device device) {
    return switch (checkpoint.config().modelType()) {
      case "bert" -> Bert.load(checkpoint, device);
      case "roberta" -> Roberta.load(checkpoint, device);
      case "distilbert" -> DistilBert.load(checkpoint, device);
      default -> throw new UnsupportedModelException(
          "model_type '" + checkpoint.config().modelType() + "' is not supported");
    };
  }
}
