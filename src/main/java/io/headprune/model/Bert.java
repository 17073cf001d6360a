package io.headprune.model;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;
import ai.djl.nn.core.Embedding;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.LayerNorm;
import io.headprune.checkpoint.Checkpoint;
import io.headprune.checkpoint.ModelConfig;
import io.headprune.problem.InvalidInputException;
import java.util.ArrayList;
import java.util.List;

/**
 * BERT (Hugging Face {@code BertModel} / {@code BertForSequenceClassification}) in forward
 * order: embeddings, self-attention with head gates, attention output, feed-forward, layer,
 * encoder, pooler, classifier. Eval mode (no dropout), erf GELU, absolute positions. Layers may
 * have different head counts (a checkpoint whose config carries {@code pruned_heads}).
 *
 * <p>Shapes: B batch, T tokens, E hidden, N heads of the layer, D head size, F feed-forward, C
 * labels.
 */
public final class Bert implements HeadModel {

  private static final float MASK_VALUE = -Float.MAX_VALUE; // torch.finfo(float32).min, as HF

  private final ModelConfig config;
  private final NDManager manager;
  private final Embeddings embeddings;
  private final List<Layer> layers;
  private final Dense pooler;
  private final Dense classifier;
  private final long parameters;

  private record Dense(NDArray weight, NDArray bias) {
    NDArray apply(NDArray input) {
      return Linear.linear(input, weight, bias).singletonOrThrow();
    }
  }

  private record Norm(NDArray gamma, NDArray beta, float eps) {
    NDArray apply(NDArray input) {
      return LayerNorm.layerNorm(input, new Shape(gamma.getShape().get(0)), gamma, beta, eps).singletonOrThrow();
    }
  }

  private record Embeddings(NDArray word, NDArray position, NDArray tokenType, Norm norm) {}

  private record Layer(
      int[] heads,
      Dense query,
      Dense key,
      Dense value,
      Dense attentionOutput,
      Norm attentionNorm,
      Dense intermediate,
      Dense output,
      Norm outputNorm) {}

  private Bert(
      ModelConfig config,
      NDManager manager,
      Embeddings embeddings,
      List<Layer> layers,
      Dense pooler,
      Dense classifier,
      long parameters) {
    this.config = config;
    this.manager = manager;
    this.embeddings = embeddings;
    this.layers = layers;
    this.pooler = pooler;
    this.classifier = classifier;
    this.parameters = parameters;
  }

  /** Loads a BERT checkpoint onto {@code device}, checking every expected weight and shape. */
  public static Bert load(Checkpoint checkpoint, Device device) {
    ModelConfig config = checkpoint.config();
    boolean prefixed = checkpoint.tensors().containsKey("bert.embeddings.word_embeddings.weight");
    NDManager manager = NDManager.newBaseManager(device, Devices.ENGINE);
    try {
      Weights weights = new Weights(checkpoint, manager, prefixed ? "bert." : "");
      long e = config.hiddenSize();
      float eps = (float) config.layerNormEps();
      Embeddings embeddings =
          new Embeddings(
              weights.load("embeddings.word_embeddings.weight", config.vocabSize(), e),
              weights.load("embeddings.position_embeddings.weight", config.maxPositions(), e),
              weights.load("embeddings.token_type_embeddings.weight", config.typeVocabSize(), e),
              norm(weights, "embeddings.LayerNorm", e, eps));
      List<Layer> layers = new ArrayList<>();
      for (int l = 0; l < config.layers(); l++) {
        String p = "encoder.layer." + l + ".";
        int[] heads = config.remainingHeads(l);
        long inner = (long) heads.length * config.headSize();
        layers.add(
            new Layer(
                heads,
                linear(weights, p + "attention.self.query", inner, e),
                linear(weights, p + "attention.self.key", inner, e),
                linear(weights, p + "attention.self.value", inner, e),
                linear(weights, p + "attention.output.dense", e, inner),
                norm(weights, p + "attention.output.LayerNorm", e, eps),
                linear(weights, p + "intermediate.dense", config.intermediateSize(), e),
                linear(weights, p + "output.dense", e, config.intermediateSize()),
                norm(weights, p + "output.LayerNorm", e, eps)));
      }
      Dense pooler = weights.has("pooler.dense.weight") ? linear(weights, "pooler.dense", e, e) : null;
      Dense classifier = null;
      if (config.architecture().equals("BertForSequenceClassification")) {
        if (!prefixed) {
          throw new InvalidInputException(
              "BertForSequenceClassification checkpoint is missing weight 'bert.embeddings.word_embeddings.weight'");
        }
        if (pooler == null) {
          throw new InvalidInputException("checkpoint is missing weight 'bert.pooler.dense.weight'");
        }
        Weights head = new Weights(checkpoint, manager, "");
        classifier = linear(head, "classifier", config.labels().count(), e);
        return new Bert(config, manager, embeddings, layers, pooler, classifier, weights.parameters() + head.parameters());
      }
      return new Bert(config, manager, embeddings, layers, pooler, null, weights.parameters());
    } catch (RuntimeException ex) {
      manager.close();
      throw ex;
    }
  }

  private static Dense linear(Weights weights, String name, long out, long in) {
    return new Dense(weights.load(name + ".weight", out, in), weights.load(name + ".bias", out));
  }

  private static Norm norm(Weights weights, String name, long size, float eps) {
    return new Norm(weights.load(name + ".weight", size), weights.load(name + ".bias", size), eps);
  }

  @Override
  public Output forward(Batch batch, List<NDArray> gates) {
    if (classifier == null) {
      throw new InvalidInputException(
          "BertModel has no task head; headprune scores and evaluates BertForSequenceClassification checkpoints");
    }
    NDManager scope = batch.inputIds().getManager();
    long length = batch.inputIds().getShape().get(1);
    if (length > config.maxPositions()) {
      throw new InvalidInputException(
          "sequence of " + length + " tokens exceeds max_position_embeddings " + config.maxPositions());
    }

    // embeddings
    NDArray positions = scope.arange(0, (int) length, 1, DataType.INT64); // (T)
    NDArray hidden =
        Embedding.embedding(batch.inputIds(), embeddings.word(), SparseFormat.DENSE)
            .singletonOrThrow() // (B, T, E)
            .add(Embedding.embedding(batch.typeIds(), embeddings.tokenType(), SparseFormat.DENSE).singletonOrThrow())
            .add(Embedding.embedding(positions, embeddings.position(), SparseFormat.DENSE).singletonOrThrow()); // (B, T, E)
    hidden = embeddings.norm().apply(hidden);

    // additive key mask: 0 for real tokens, float32 min for padding
    NDArray keyMask = batch.attentionMask().neg().add(1f).mul(MASK_VALUE).expandDims(1).expandDims(1); // (B, 1, 1, T)

    // Scalars the graph keeps for the backward pass must live on the batch's manager: DJL's
    // mul(Number) frees its scalar at once, and autograd would later read freed memory.
    Constants constants = new Constants(scope.create((float) Math.sqrt(config.headSize())), scope.create(0.5f),
        scope.create((float) Math.sqrt(2.0)), scope.create(1f));
    List<NDArray> attentions = new ArrayList<>();
    for (int l = 0; l < layers.size(); l++) {
      Layer layer = layers.get(l);
      NDArray gate = gates == null ? null : gates.get(l);
      NDArray[] result = layer(layer, hidden, keyMask, gate, constants);
      hidden = result[0];
      attentions.add(result[1]);
    }

    // pooler: tanh(dense(first token)); classifier
    NDArray first = hidden.get(":, 0, :"); // (B, E)
    NDArray pooled = pooler.apply(first).tanh(); // (B, E)
    NDArray logits = classifier.apply(pooled); // (B, C)
    return new Output(logits, attentions);
  }

  /** Scalar operands of the forward pass, owned by the batch's manager. */
  private record Constants(NDArray sqrtHeadSize, NDArray half, NDArray sqrtTwo, NDArray one) {}

  private NDArray[] layer(Layer layer, NDArray hidden, NDArray keyMask, NDArray gate, Constants constants) {
    long batch = hidden.getShape().get(0);
    long tokens = hidden.getShape().get(1);
    int heads = layer.heads().length;
    int headSize = config.headSize();

    // self-attention
    NDArray query = split(layer.query().apply(hidden), heads, headSize); // (B, N, T, D)
    NDArray key = split(layer.key().apply(hidden), heads, headSize); // (B, N, T, D)
    NDArray value = split(layer.value().apply(hidden), heads, headSize); // (B, N, T, D)
    NDArray scores = query.matMul(key.transpose(0, 1, 3, 2)).div(constants.sqrtHeadSize()); // (B, N, T, T)
    NDArray probabilities = scores.add(keyMask).softmax(-1); // (B, N, T, T)
    NDArray gated = gate == null ? probabilities : probabilities.mul(gate.reshape(-1, heads, 1, 1));
    NDArray context =
        gated.matMul(value) // (B, N, T, D)
            .transpose(0, 2, 1, 3)
            .reshape(batch, tokens, (long) heads * headSize); // (B, T, N*D)

    // attention output: dense, residual, LayerNorm
    NDArray attended = layer.attentionNorm().apply(layer.attentionOutput().apply(context).add(hidden)); // (B, T, E)

    // feed-forward: dense, erf GELU, dense, residual, LayerNorm
    NDArray inner = gelu(layer.intermediate().apply(attended), constants); // (B, T, F)
    NDArray output = layer.outputNorm().apply(layer.output().apply(inner).add(attended)); // (B, T, E)
    return new NDArray[] {output, probabilities};
  }

  /** (B, T, N*D) to (B, N, T, D). */
  private static NDArray split(NDArray projected, int heads, int headSize) {
    Shape shape = projected.getShape();
    return projected.reshape(shape.get(0), shape.get(1), heads, headSize).transpose(0, 2, 1, 3);
  }

  /** GELU with the exact erf, as transformers' "gelu": 0.5 · x · (1 + erf(x / √2)). */
  private static NDArray gelu(NDArray x, Constants constants) {
    return x.mul(constants.half()).mul(x.div(constants.sqrtTwo()).erf().add(constants.one()));
  }

  @Override
  public ModelConfig config() {
    return config;
  }

  @Override
  public int[][] heads() {
    return layers.stream().map(layer -> layer.heads().clone()).toArray(int[][]::new);
  }

  @Override
  public NDManager manager() {
    return manager;
  }

  @Override
  public double[][] headWeightNorms() {
    int headSize = config.headSize();
    double[][] norms = new double[layers.size()][];
    for (int l = 0; l < layers.size(); l++) {
      Layer layer = layers.get(l);
      int heads = layer.heads().length;
      norms[l] = new double[heads];
      float[][] rowsOf = {
        layer.query().weight().toFloatArray(), layer.key().weight().toFloatArray(), layer.value().weight().toFloatArray()
      };
      int hidden = config.hiddenSize();
      float[] output = layer.attentionOutput().weight().toFloatArray(); // (E, N*D)
      for (int h = 0; h < heads; h++) {
        double sum = 0;
        for (float[] rows : rowsOf) {
          for (int i = h * headSize * hidden; i < (h + 1) * headSize * hidden; i++) {
            sum += (double) rows[i] * rows[i];
          }
        }
        int width = heads * headSize;
        for (int r = 0; r < hidden; r++) {
          for (int c = h * headSize; c < (h + 1) * headSize; c++) {
            double w = output[r * width + c];
            sum += w * w;
          }
        }
        norms[l][h] = Math.sqrt(sum);
      }
    }
    return norms;
  }

  @Override
  public long parameters() {
    return parameters;
  }

  @Override
  public void close() {
    manager.close();
  }
}
