package io.headprune.checkpoint;

import java.util.Collections;
import java.util.Map;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.IntStream;
import tools.jackson.databind.node.ObjectNode;

/**
 * What every consumer of a model needs from its {@code config.json}, in the same terms for every
 * family. An architecture description (package {@code model}) reads the family's own keys and
 * builds this; the raw JSON is kept so that a pruned model's config differs from its input only
 * where pruning changes it.
 *
 * @param architecture the {@code architectures} entry, e.g. BertForSequenceClassification
 * @param modelType config's {@code model_type}
 * @param hiddenSize width of the residual stream
 * @param layers number of transformer layers
 * @param attentionHeads query heads per layer before any pruning
 * @param keyValueHeads key/value heads per layer (equal to attentionHeads without grouped-query
 *     attention)
 * @param headSize size of one head
 * @param maxPositions the longest sequence the position embeddings allow (a ViT: patches + 1)
 * @param causal whether a token attends only to itself and earlier tokens (decoders)
 * @param languageModel whether the head predicts the next token (a causal LM) rather than a label
 * @param padTokenId the padding id of text inputs
 * @param labels the task head's label space
 * @param prunedHeads heads already removed, by layer (original indices)
 * @param raw the config.json object
 */
public record ModelConfig(
    String architecture,
    String modelType,
    int hiddenSize,
    int layers,
    int attentionHeads,
    int keyValueHeads,
    int headSize,
    int maxPositions,
    boolean causal,
    boolean languageModel,
    int padTokenId,
    Labels labels,
    Map<Integer, SortedSet<Integer>> prunedHeads,
    ObjectNode raw) {

  public ModelConfig {
    Map<Integer, SortedSet<Integer>> copy = new TreeMap<>();
    prunedHeads.forEach(
        (layer, heads) -> copy.put(layer, Collections.unmodifiableSortedSet(new TreeSet<>(heads))));
    prunedHeads = Collections.unmodifiableMap(copy);
  }

  /** Original indices of the heads layer {@code layer} still has. */
  public int[] remainingHeads(int layer) {
    SortedSet<Integer> pruned = prunedHeads.getOrDefault(layer, Collections.emptySortedSet());
    return IntStream.range(0, attentionHeads).filter(h -> !pruned.contains(h)).toArray();
  }

  /** True for a model with a sequence- or image-classification (or regression) head. */
  public boolean hasTaskHead() {
    return architecture.endsWith("ForSequenceClassification")
        || architecture.endsWith("ForImageClassification");
  }
}
