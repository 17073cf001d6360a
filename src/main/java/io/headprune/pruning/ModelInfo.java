package io.headprune.pruning;

import io.headprune.model.HeadModel;
import java.util.Arrays;

/**
 * What a scores or report file says about the model it describes.
 *
 * @param name the model's directory name or id
 * @param architecture e.g. BertForSequenceClassification
 * @param layers number of layers
 * @param heads total number of attention heads
 * @param headsPerLayer heads of each layer
 * @param parameters number of parameters
 */
public record ModelInfo(
    String name, String architecture, int layers, int heads, int[] headsPerLayer, long parameters) {

  /** Describes {@code model}. */
  public static ModelInfo of(String name, HeadModel model) {
    int[] perLayer = Arrays.stream(model.heads()).mapToInt(h -> h.length).toArray();
    return new ModelInfo(
        name,
        model.config().architecture(),
        perLayer.length,
        Arrays.stream(perLayer).sum(),
        perLayer,
        model.parameters());
  }
}
