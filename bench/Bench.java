import ai.djl.Device;
import io.headprune.checkpoint.Checkpoint;
import io.headprune.checkpoint.DType;
import io.headprune.checkpoint.DatasetReader;
import io.headprune.checkpoint.Json;
import io.headprune.checkpoint.SafetensorsWriter;
import io.headprune.checkpoint.TextTokenizer;
import io.headprune.model.Bert;
import io.headprune.pruning.CheckpointPruner;
import io.headprune.pruning.PruneMode;
import io.headprune.scoring.Encoded;
import io.headprune.scoring.HeadRef;
import io.headprune.scoring.HeadScorer;
import io.headprune.scoring.ModelRunner;
import io.headprune.scoring.Progress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.function.Supplier;
import tools.jackson.databind.node.ObjectNode;

/**
 * headprune's benchmark: a BERT-shaped classifier with random weights (the tiny fixture's
 * tokenizer and data, bigger dimensions), timed as the median of several runs after a warm-up.
 * Every figure is a ratio against a baseline measured in the same run, side by side.
 */
public class Bench {

  static final int RUNS = 5;

  public static void main(String[] args) throws Exception {
    int layers = args.length > 0 ? Integer.parseInt(args[0]) : 6;
    int hidden = args.length > 1 ? Integer.parseInt(args[1]) : 512;
    int heads = args.length > 2 ? Integer.parseInt(args[2]) : 8;
    Path fixture = Path.of("src/test/resources/fixtures/tiny-bert-order");
    Path work = Files.createTempDirectory("headprune-bench");
    Path model = syntheticModel(fixture, work.resolve("model"), layers, hidden, heads);
    Path pruned = work.resolve("pruned");

    List<Encoded> calibration;
    List<Encoded> evaluation;
    try (Checkpoint checkpoint = Checkpoint.open(model); TextTokenizer tokenizer = TextTokenizer.open(model, 64)) {
      var labels = checkpoint.config().labels();
      calibration = Encoded.of(tokenizer, DatasetReader.read(fixture.resolve("calib.jsonl"), labels)).subList(0, 64);
      evaluation = Encoded.of(tokenizer, DatasetReader.read(fixture.resolve("eval.jsonl"), labels));
      List<HeadRef> half = new ArrayList<>();
      for (int l = 0; l < layers; l++) {
        for (int h = 0; h < heads / 2; h++) {
          half.add(new HeadRef(l, h));
        }
      }
      CheckpointPruner.write(checkpoint, half, PruneMode.PHYSICAL, pruned);
    }
    System.out.printf("model: BERT %d layers, hidden %d, %d heads, random weights; %d calibration and %d evaluation"
        + " texts (%d-%d tokens); median of %d runs after a warm-up; %s%n%n", layers, hidden, heads,
        calibration.size(), evaluation.size(), evaluation.stream().mapToInt(Encoded::length).min().orElse(0),
        evaluation.stream().mapToInt(Encoded::length).max().orElse(0), RUNS, Runtime.version());
    System.out.println("| measurement | baseline | headprune | ratio (baseline / headprune) |");
    System.out.println("|---|---|---|---|");
    try (Checkpoint checkpoint = Checkpoint.open(model); Bert dense = Bert.load(checkpoint, Device.cpu())) {
      double loop = median(() -> time(() -> HeadScorer.score(dense, calibration, 1, Progress.NONE)));
      double batched = median(() -> time(() -> HeadScorer.score(dense, calibration, 16, Progress.NONE)));
      row("scoring " + calibration.size() + " texts (HIS + entropy)", "per-example loop", loop, "bucketed batches of 16",
          batched);
      try (Checkpoint after = Checkpoint.open(pruned); Bert small = Bert.load(after, Device.cpu())) {
        double denseMs = median(() -> time(() -> ModelRunner.logits(dense, evaluation, Set.of(), 64, Progress.NONE)));
        double prunedMs = median(() -> time(() -> ModelRunner.logits(small, evaluation, Set.of(), 64, Progress.NONE)));
        row("inference on " + evaluation.size() + " texts", "dense", denseMs, "50 % of heads pruned", prunedMs);
        System.out.printf("%nparameters: dense %d, pruned %d (%.3f)%n", dense.parameters(), small.parameters(),
            (double) small.parameters() / dense.parameters());
      }
    }
  }

  static void row(String what, String baselineName, double baseline, String oursName, double ours) {
    System.out.printf("| %s | %s: %.0f ms | %s: %.0f ms | %.2f |%n", what, baselineName, baseline, oursName, ours,
        baseline / ours);
  }

  static double time(Runnable work) {
    long start = System.nanoTime();
    work.run();
    return (System.nanoTime() - start) / 1e6;
  }

  static double median(Supplier<Double> measurement) {
    measurement.get(); // warm-up
    double[] runs = new double[RUNS];
    for (int i = 0; i < RUNS; i++) {
      runs[i] = measurement.get();
    }
    Arrays.sort(runs);
    return runs[RUNS / 2];
  }

  /** The fixture's config and tokenizer with bigger dimensions and seeded random weights. */
  static Path syntheticModel(Path fixture, Path target, int layers, int hidden, int heads) throws Exception {
    Files.createDirectories(target);
    for (String file : List.of("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "vocab.txt")) {
      Files.copy(fixture.resolve(file), target.resolve(file));
    }
    ObjectNode config = (ObjectNode) Json.MAPPER.readTree(Files.readAllBytes(fixture.resolve("config.json")));
    int intermediate = 4 * hidden;
    int vocab = config.get("vocab_size").asInt();
    int positions = config.get("max_position_embeddings").asInt();
    config.put("num_hidden_layers", layers).put("hidden_size", hidden).put("num_attention_heads", heads)
        .put("intermediate_size", intermediate);
    Files.writeString(target.resolve("config.json"), config.toString());
    Random random = new Random(7);
    List<SafetensorsWriter.Tensor> tensors = new ArrayList<>();
    tensors.add(tensor(random, "bert.embeddings.word_embeddings.weight", vocab, hidden));
    tensors.add(tensor(random, "bert.embeddings.position_embeddings.weight", positions, hidden));
    tensors.add(tensor(random, "bert.embeddings.token_type_embeddings.weight", 2, hidden));
    norm(tensors, "bert.embeddings.LayerNorm", hidden);
    for (int l = 0; l < layers; l++) {
      String p = "bert.encoder.layer." + l + ".";
      for (String part : List.of("attention.self.query", "attention.self.key", "attention.self.value",
          "attention.output.dense")) {
        tensors.add(tensor(random, p + part + ".weight", hidden, hidden));
        tensors.add(tensor(random, p + part + ".bias", hidden));
      }
      norm(tensors, p + "attention.output.LayerNorm", hidden);
      tensors.add(tensor(random, p + "intermediate.dense.weight", intermediate, hidden));
      tensors.add(tensor(random, p + "intermediate.dense.bias", intermediate));
      tensors.add(tensor(random, p + "output.dense.weight", hidden, intermediate));
      tensors.add(tensor(random, p + "output.dense.bias", hidden));
      norm(tensors, p + "output.LayerNorm", hidden);
    }
    tensors.add(tensor(random, "bert.pooler.dense.weight", hidden, hidden));
    tensors.add(tensor(random, "bert.pooler.dense.bias", hidden));
    tensors.add(tensor(random, "classifier.weight", 2, hidden));
    tensors.add(tensor(random, "classifier.bias", 2));
    SafetensorsWriter.write(target.resolve("model.safetensors"), tensors);
    return target;
  }

  static void norm(List<SafetensorsWriter.Tensor> tensors, String name, int size) {
    float[] ones = new float[size];
    Arrays.fill(ones, 1f);
    tensors.add(floats(name + ".weight", ones, size));
    tensors.add(floats(name + ".bias", new float[size], size));
  }

  static SafetensorsWriter.Tensor tensor(Random random, String name, long... shape) {
    int count = (int) Arrays.stream(shape).reduce(1, (a, b) -> a * b);
    float[] values = new float[count];
    for (int i = 0; i < count; i++) {
      values[i] = (float) (random.nextGaussian() * 0.02);
    }
    return floats(name, values, shape);
  }

  static SafetensorsWriter.Tensor floats(String name, float[] values, long... shape) {
    ByteBuffer bytes = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
    for (float v : values) {
      bytes.putFloat(v);
    }
    return new SafetensorsWriter.Tensor(name, DType.F32, shape, bytes.flip());
  }
}
