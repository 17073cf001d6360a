import ai.djl.Device;
import io.headprune.checkpoint.Checkpoint;
import io.headprune.checkpoint.DType;
import io.headprune.checkpoint.DatasetReader;
import io.headprune.checkpoint.Json;
import io.headprune.checkpoint.SafetensorsWriter;
import io.headprune.checkpoint.TextTokenizer;
import io.headprune.model.HeadModel;
import io.headprune.model.Models;
import io.headprune.pruning.CheckpointPruner;
import io.headprune.pruning.PruneMode;
import io.headprune.scoring.Encoded;
import io.headprune.scoring.HeadRef;
import io.headprune.scoring.ModelRunner;
import io.headprune.scoring.Progress;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.function.Supplier;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * headprune's benchmark against the outside world. Every figure is the median of several runs
 * after a warm-up, and every comparison is side by side in the same run:
 *
 * <ul>
 *   <li>{@code scoring}: {@code java -jar target/headprune.jar score} against a plain-PyTorch
 *       per-example loop ({@code bench/plain_pytorch.py} on Debian's {@code /usr/bin/python3}),
 *       whole processes, on the same BERT-base-shaped model and the same 32 texts of 8–128 tokens:
 *       wall time, CPU time and peak resident memory of both; default threads and one thread
 *       each; then a loaded machine (two busy processes on the same cores); batch sizes 4–32;
 *       start-up on one example; and dense vs pruned inference.
 *   <li>{@code job [BEFORE.jar]}: a whole {@code prune} job (4 criteria × 5 sparsities × 5 seeds,
 *       281 evaluation texts) on a 6-layer MiniLM shape, with this jar and, if given, an earlier
 *       one, and whether their reports agree.
 *   <li>{@code load [RATE] [SECONDS]}: the service under a mixed GET/POST load while two jobs run
 *       (see {@link Load}).
 * </ul>
 */
public class Bench {

  static final int RUNS = 5;
  /** Runs a side on a loaded machine, where the plain loop takes over a minute a run. */
  static final int LOADED_RUNS = 3;
  static final Path JAR = Path.of("target/headprune.jar").toAbsolutePath();
  static final Path PYTHON = Path.of("/usr/bin/python3");
  static final Path FIXTURE = Path.of("src/test/resources/fixtures/tiny-bert-order");

  public static void main(String[] args) throws Exception {
    String what = args.length > 0 ? args[0] : "scoring";
    Path work = Path.of("target/bench").toAbsolutePath();
    Files.createDirectories(work);
    System.out.printf(
        "machine: %d cores, %s; %s; Java %s; %s%n",
        Runtime.getRuntime().availableProcessors(),
        Files.readString(Path.of("/proc/loadavg")).strip().replaceAll("^(\\S+ \\S+ \\S+).*", "load $1"),
        python() ? "plain PyTorch " + command(List.of(PYTHON.toString(), "-c", "import torch; print(torch.__version__)")).strip() : "no /usr/bin/python3 with torch",
        Runtime.version(),
        java.time.LocalDate.now());
    if (what.equals("prep")) { // only write the models and texts (for profiling by hand)
      Path model = syntheticModel(work.resolve("bert-base"), 12, 768, 12);
      tokenIds(model, texts(work.resolve("texts-32.jsonl"), 32, 11), work.resolve("ids-32.json"));
      tokenIds(model, texts(work.resolve("texts-1.jsonl"), 1, 12), work.resolve("ids-1.json"));
      syntheticModel(work.resolve("minilm"), 6, 384, 12);
      texts(work.resolve("job-calib.jsonl"), 256, 21);
      texts(work.resolve("job-eval-281.jsonl"), 281, 22);
      return;
    }
    if (what.equals("target")) {
      target(work, args.length > 1 && !args[1].equals("-") ? Path.of(args[1]).toAbsolutePath() : null,
          args.length > 2 ? args[2] : "");
    } else if (what.equals("big")) {
      big(work, args.length > 1 ? Path.of(args[1]).toAbsolutePath() : work.resolve("llama-7b"));
    } else if (what.equals("loaded")) {
      loaded(work, args.length > 1 ? Path.of(args[1]).toAbsolutePath() : null);
    } else if (what.equals("hostile")) {
      Hostile.run(work);
    } else if (what.equals("load")) {
      Load.run(work, args.length > 1 ? Integer.parseInt(args[1]) : 50, args.length > 2 ? Integer.parseInt(args[2]) : 60);
    } else if (what.equals("queue")) {
      Queue.run(work, args.length > 1 ? Path.of(args[1]).toAbsolutePath() : null);
    } else if (what.equals("job")) {
      job(work, args.length > 1 ? Path.of(args[1]).toAbsolutePath() : null);
    } else {
      scoring(work, args.length > 1 ? Path.of(args[1]).toAbsolutePath() : null);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // scoring

  static void scoring(Path work, Path before) throws Exception {
    Path model = syntheticModel(work.resolve("bert-base"), 12, 768, 12);
    Path texts = texts(work.resolve("texts-32.jsonl"), 32, 11);
    Path ids = work.resolve("ids-32.json");
    Path one = texts(work.resolve("texts-1.jsonl"), 1, 12);
    Path oneIds = work.resolve("ids-1.json");
    int[] lengths = tokenIds(model, texts, ids);
    tokenIds(model, one, oneIds);
    System.out.printf(
        "model: BERT-base shape (12 layers, hidden 768, 12 heads, %.2f GB of float32 weights),"
            + " random weights; %d texts of %d–%d tokens (%d in all); median of %d runs after a"
            + " warm-up%n%n",
        Files.size(model.resolve("model.safetensors")) / 1e9,
        lengths.length,
        Arrays.stream(lengths).min().orElse(0),
        Arrays.stream(lengths).max().orElse(0),
        Arrays.stream(lengths).sum(),
        RUNS);
    checkAgreement(work, model, texts, ids);

    List<String> java = List.of("java", "-jar", JAR.toString(), "score", "--model", model.toString(), "--data");
    List<String> image = plus(imageForm(work), "score", "--model", model.toString(), "--data");
    Map<String, String> passive = Map.of("OMP_WAIT_POLICY", "PASSIVE");
    System.out.println(
        "| scoring 32 texts | plain PyTorch loop: wall / CPU / peak RSS | headprune score: wall / CPU / peak RSS | wall ratio | CPU ratio |");
    System.out.println("|---|---|---|---|---|");
    if (python()) {
      List<String> py = List.of(PYTHON.toString(), "bench/plain_pytorch.py", model.toString());
      Measure plain = compare("default threads (java -jar)", plus(py, ids.toString()), Map.of(), plus(java, texts.toString(), "--json", "--quiet"), Map.of());
      compare("default threads, as the image runs it (CDS archive, OMP_WAIT_POLICY=PASSIVE for both)", plus(py, ids.toString()), passive,
          plus(image, texts.toString(), "--json", "--quiet"), passive);
      compare(
          "one thread each (java -jar)",
          plus(py, ids.toString(), "--threads", "1"),
          Map.of("OMP_NUM_THREADS", "1"),
          plus(java.subList(0, 1), "-Dai.djl.pytorch.num_threads=1", java.subList(1, java.size()), texts.toString(), "--json", "--quiet"),
          Map.of("OMP_NUM_THREADS", "1"));
      compare(
          "one thread each, as the image runs it",
          plus(py, ids.toString(), "--threads", "1"),
          Map.of("OMP_NUM_THREADS", "1"),
          plus(image.subList(0, 1), "-Dai.djl.pytorch.num_threads=1", image.subList(1, image.size()), texts.toString(), "--json", "--quiet"),
          Map.of("OMP_NUM_THREADS", "1"));
      try (Burner burner = Burner.start(2)) {
        compare("loaded machine (2 busy processes; java -jar)", plus(py, ids.toString()), Map.of(), plus(java, texts.toString(), "--json", "--quiet"), Map.of());
        compare("loaded, as the image runs it (OMP_WAIT_POLICY=PASSIVE for both)", plus(py, ids.toString()), passive,
            plus(image, texts.toString(), "--json", "--quiet"), passive);
      }
      compare("one example (start-up; java -jar)", plus(py, oneIds.toString()), Map.of(), plus(java, one.toString(), "--json", "--quiet"), Map.of());
      ceiling(model, lengths, plain, measure(plus(image, one.toString(), "--json", "--quiet"), Map.of()));
    } else {
      System.out.println("| (no /usr/bin/python3 with torch: no plain-PyTorch baseline on this machine) | | | | |");
    }
    System.out.println();
    System.out.println("| headprune score, 32 texts | wall | CPU | peak RSS |");
    System.out.println("|---|---|---|---|");
    for (int batch : new int[] {4, 8, 16, 32}) {
      Measure m = measure(plus(java, texts.toString(), "--json", "--quiet", "--batch-size", Integer.toString(batch)), Map.of());
      System.out.printf("| --batch-size %d | %.2f s | %.2f s | %.2f GB |%n", batch, m.wall(), m.cpu(), m.rssGb());
    }
    System.out.println();
    startup(work, model, one, before);
    System.out.println();
    inference(work, model);
  }

  /**
   * {@code score} as users run it — {@code java -jar}, no environment set — against the plain loop
   * while two busy processes share the cores: the loop as users run it and with OpenMP's passive
   * wait (its best on a loaded machine); and an older jar the same way, when given.
   */
  static void loaded(Path work, Path before) throws Exception {
    if (!python()) {
      System.out.println("no /usr/bin/python3 with torch: no plain-PyTorch baseline on this machine");
      return;
    }
    Path model = syntheticModel(work.resolve("bert-base"), 12, 768, 12);
    Path texts = texts(work.resolve("texts-32.jsonl"), 32, 11);
    Path ids = work.resolve("ids-32.json");
    int[] lengths = tokenIds(model, texts, ids);
    System.out.printf("model: BERT-base shape, random weights; %d texts (%d tokens); two busy processes on the cores"
        + " throughout; median of %d runs after a warm-up%n%n", lengths.length, Arrays.stream(lengths).sum(), LOADED_RUNS);
    List<String> py = List.of(PYTHON.toString(), "bench/plain_pytorch.py", model.toString(), ids.toString());
    System.out.println(
        "| loaded machine, 32 texts | plain PyTorch loop: wall / CPU / peak RSS | headprune score: wall / CPU / peak RSS | wall ratio | CPU ratio |");
    System.out.println("|---|---|---|---|---|");
    try (Burner burner = Burner.start(2)) {
      for (Path jar : before == null ? List.of(JAR) : List.of(before, JAR)) {
        List<String> ours = List.of("java", "-jar", jar.toString(), "score", "--model", model.toString(), "--data",
            texts.toString(), "--json", "--quiet");
        String name = jar.equals(JAR) ? "java -jar (this jar)" : "java -jar " + jar.getFileName();
        compare(name + " vs the loop as users run it", py, Map.of(), ours, Map.of(), LOADED_RUNS);
        compare(name + " vs the loop with OMP_WAIT_POLICY=PASSIVE", py, Map.of("OMP_WAIT_POLICY", "PASSIVE"), ours, Map.of(),
            LOADED_RUNS);
      }
    }
    System.out.printf("load at the end: %s%n", Files.readString(Path.of("/proc/loadavg")).strip());
  }

  /**
   * The jar as the image runs it: extracted ({@code -Djarmode=tools extract}) with a class-data
   * sharing archive written by a short score run, as the Dockerfile does. Rebuilt every time: an
   * archive of another jar is silently ignored by the JVM.
   */
  static List<String> imageForm(Path work) throws Exception {
    Path app = work.resolve("app");
    if (Files.exists(app)) {
      try (var files = Files.walk(app)) {
        files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
      }
    }
    run(List.of("java", "-Djarmode=tools", "-jar", JAR.toString(), "extract", "--destination", app.toString()), Map.of());
    run(List.of("java", "-XX:ArchiveClassesAtExit=" + app.resolve("headprune.jsa"), "-jar", app.resolve("headprune.jar").toString(),
        "score", "--model", FIXTURE.toString(), "--data", FIXTURE.resolve("calib.jsonl").toString(), "--json", "--quiet"), Map.of());
    return List.of("java", "-XX:SharedArchiveFile=" + app.resolve("headprune.jsa"), "-jar", app.resolve("headprune.jar").toString());
  }

  /** score on one example: start, native library, weights, one forward and backward. */
  static void startup(Path work, Path model, Path one, Path before) throws Exception {
    List<String> score = List.of("score", "--model", model.toString(), "--data", one.toString(), "--json", "--quiet");
    System.out.println("| score on one example (start-up) | wall | CPU | peak RSS |");
    System.out.println("|---|---|---|---|");
    if (before != null) {
      Measure m = measure(plus(List.of("java", "-jar", before.toString()), score), Map.of());
      System.out.printf("| before: java -jar %s | %.2f s | %.2f s | %.2f GB |%n", before.getFileName(), m.wall(), m.cpu(), m.rssGb());
    }
    Measure fat = measure(plus(List.of("java", "-jar", JAR.toString()), score), Map.of());
    System.out.printf("| java -jar target/headprune.jar | %.2f s | %.2f s | %.2f GB |%n", fat.wall(), fat.cpu(), fat.rssGb());
    Measure cds = measure(plus(imageForm(work), score), Map.of());
    System.out.printf("| extracted jar + CDS archive (as the image runs it) | %.2f s | %.2f s | %.2f GB |%n", cds.wall(), cds.cpu(), cds.rssGb());
  }

  /**
   * The best wall time any exact scorer could reach here, and so the largest ratio against the
   * plain loop: the matrix products HIS cannot do without — every layer's projections and
   * feed-forward on every real token (no padding), the last layer's output and feed-forward on its
   * first row only; backward through each product that lies between a gate and the loss (none
   * below layer 0's gates, the last layer's feed-forward on one row) — at the best float32 rate
   * this engine reaches on those shapes here, plus our measured start-up. Attention's own products,
   * softmax, norms and entropies are left out: the bound is generous to us.
   */
  static void ceiling(Path model, int[] lengths, Measure plain, Measure startup) {
    JsonNode config = Json.MAPPER.readTree(model.resolve("config.json").toFile());
    double e = config.get("hidden_size").asDouble();
    double f = config.get("intermediate_size").asDouble();
    int layers = config.get("num_hidden_layers").asInt();
    double full = 2 * (4 * e * e + 2 * e * f); // one token through one layer's products
    double tail = 2 * (e * e + 2 * e * f); // output projection and feed-forward
    double flops = 0;
    for (int n : lengths) {
      double forward = (layers - 1) * n * full + n * 2 * 3 * e * e + tail;
      double backward = (layers - 2) * n * full + tail + 2 * e * e + n * 2 * 2 * e * e + n * tail;
      flops += forward + backward;
    }
    double peak = 0;
    try (ai.djl.ndarray.NDManager manager = ai.djl.ndarray.NDManager.newBaseManager()) {
      for (long[] shape : new long[][] {{512, (long) e, (long) f}, {512, (long) f, (long) e}, {512, (long) e, (long) e}}) {
        var x = manager.randomNormal(new ai.djl.ndarray.types.Shape(shape[0], shape[1]));
        var w = manager.randomNormal(new ai.djl.ndarray.types.Shape(shape[2], shape[1]));
        double best = Double.MAX_VALUE;
        for (int i = 0; i < 30; i++) {
          long start = System.nanoTime();
          x.matMul(w.transpose()).close();
          best = Math.min(best, (System.nanoTime() - start) / 1e9);
        }
        peak = Math.max(peak, 2.0 * shape[0] * shape[1] * shape[2] / best);
      }
    }
    double bound = startup.wall() + flops / peak;
    System.out.printf(
        "%nceiling: the matrix products exact HIS needs on these %d tokens are %.0f GFLOP; at this engine's best float32 rate here"
            + " (%.0f GFLOP/s, %d threads) they take %.2f s, plus %.2f s of start-up (one example, as the image runs it) = %.2f s."
            + " The plain loop took %.2f s: no exact scorer can be more than %.2f× faster than it on this machine.%n",
        Arrays.stream(lengths).sum(), flops / 1e9, peak / 1e9, Runtime.getRuntime().availableProcessors(), flops / peak,
        startup.wall(), bound, plain.wall(), plain.wall() / bound);
  }

  /** Both sides' HIS and AE on the same tokens: the benchmark compares equal work. */
  static void checkAgreement(Path work, Path model, Path texts, Path ids) throws Exception {
    if (!python()) {
      return;
    }
    Path ours = work.resolve("scores-headprune.json");
    Path theirs = work.resolve("scores-plain.json");
    run(List.of("java", "-jar", JAR.toString(), "score", "--model", model.toString(), "--data", texts.toString(), "--quiet", "--out", ours.toString()), Map.of());
    run(List.of(PYTHON.toString(), "bench/plain_pytorch.py", model.toString(), ids.toString(), "--out", theirs.toString()), Map.of());
    JsonNode a = Json.MAPPER.readTree(Files.readAllBytes(ours));
    JsonNode b = Json.MAPPER.readTree(Files.readAllBytes(theirs));
    double his = 0, hisMax = 0, ae = 0, aeMax = 0;
    for (JsonNode head : a.get("heads")) {
      int l = head.get("layer").asInt(), h = head.get("head").asInt();
      double p = b.get("his").get(l).get(h).asDouble(), q = b.get("entropy").get(l).get(h).asDouble();
      his = Math.max(his, Math.abs(head.get("his").asDouble() - p));
      hisMax = Math.max(hisMax, Math.abs(p));
      ae = Math.max(ae, Math.abs(head.get("entropy").asDouble() - q));
      aeMax = Math.max(aeMax, Math.abs(q));
    }
    System.out.printf(
        "same work: the two sides' HIS differ by at most %.1e of the largest, AE by %.1e%n%n", his / hisMax, ae / aeMax);
  }

  /** Dense vs 50 % of heads physically pruned, in this JVM: inference latency. */
  static void inference(Path work, Path model) throws Exception {
    Path pruned = work.resolve("bert-base-pruned");
    Path eval = texts(work.resolve("texts-281.jsonl"), 281, 13);
    List<Encoded> evaluation;
    try (Checkpoint checkpoint = Models.open(model);
        TextTokenizer tokenizer = TextTokenizer.open(model, 128)) {
      evaluation = Encoded.of(tokenizer, DatasetReader.read(eval, checkpoint.config().labels()));
      if (!Files.exists(pruned)) {
        List<HeadRef> half = new ArrayList<>();
        for (int l = 0; l < 12; l++) {
          for (int h = 0; h < 6; h++) {
            half.add(new HeadRef(l, h));
          }
        }
        CheckpointPruner.write(checkpoint, half, PruneMode.PHYSICAL, pruned);
      }
    }
    try (Checkpoint a = Models.open(model);
        HeadModel dense = Models.load(a, Device.cpu());
        Checkpoint b = Models.open(pruned);
        HeadModel small = Models.load(b, Device.cpu())) {
      double denseMs = median(() -> time(() -> ModelRunner.logits(dense, evaluation, Set.of(), 32, Progress.NONE)));
      double prunedMs = median(() -> time(() -> ModelRunner.logits(small, evaluation, Set.of(), 32, Progress.NONE)));
      System.out.println("| inference, 281 texts | dense | 50 % of heads pruned | ratio |");
      System.out.println("|---|---|---|---|");
      System.out.printf("| BERT-base shape, batches of 32 | %.0f ms | %.0f ms | %.2f |%n", denseMs, prunedMs, denseMs / prunedMs);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // a whole job

  static void job(Path work, Path before) throws Exception {
    Path model = syntheticModel(work.resolve("minilm"), 6, 384, 12);
    Path calibration = texts(work.resolve("job-calib.jsonl"), 256, 21);
    Path evaluation = texts(work.resolve("job-eval-281.jsonl"), 281, 22);
    System.out.printf(
        "model: MiniLM shape (6 layers, hidden 384, 12 heads), random weights; job: 4 criteria × 5"
            + " sparsities × 5 seeds, 32 calibration texts a seed, 281 evaluation texts%n%n");
    System.out.println("| prune job | wall | CPU | peak RSS |");
    System.out.println("|---|---|---|---|");
    Map<String, JsonNode> reports = new LinkedHashMap<>();
    List<Path> jars = new ArrayList<>();
    if (before != null) {
      jars.add(before);
    }
    jars.add(JAR);
    for (Path jar : jars) {
      Path out = work.resolve("job-" + (jar.equals(JAR) ? "now" : "before"));
      List<String> command =
          List.of("java", "-jar", jar.toString(), "prune", "--model", model.toString(), "--data", calibration.toString(),
              "--eval", evaluation.toString(), "--criteria", "hies,his,entropy,random", "--sparsities",
              "0.1,0.2,0.3,0.4,0.5", "--seeds", "5", "--calibration-size", "32", "--sparsity", "0.3", "--quiet",
              "--force", "--out", out.toString());
      Measure m = once(command, Map.of());
      System.out.printf("| %s | %.1f s | %.1f s | %.2f GB |%n", jar.equals(JAR) ? "this jar" : before.getFileName(), m.wall(), m.cpu(), m.rssGb());
      reports.put(jar.toString(), Json.MAPPER.readTree(Files.readAllBytes(out.resolve("report.json"))));
    }
    if (reports.size() == 2) {
      List<JsonNode> both = new ArrayList<>(reports.values());
      double worst = 0;
      JsonNode a = both.get(0).get("evaluations"), b = both.get(1).get("evaluations");
      for (int i = 0; i < a.size(); i++) {
        worst = Math.max(worst, Math.abs(a.get(i).get("value").asDouble() - b.get(i).get("value").asDouble()));
      }
      System.out.printf("%nreports: %d evaluations each; largest metric difference %.2e; same artifact heads: %s%n",
          a.size(), worst, both.get(0).get("artifact").get("prunedHeads").equals(both.get(1).get("artifact").get("prunedHeads")));
    }
  }

  // ---------------------------------------------------------------------------------------------
  // big: a 7 B-shaped Llama (BF16, sharded like the Hub's) scored and pruned with its layers streamed

  static void big(Path work, Path model) throws Exception {
    if (!Files.exists(model.resolve("config.json"))) {
      run(List.of(PYTHON.toString(), "bench/make_llama.py", model.toString(), "--layers", "32", "--hidden", "4096",
          "--heads", "32", "--kv-heads", "8", "--ffn", "14336", "--vocab", "32000", "--shard-gb", "5", "--texts", "16"),
          Map.of());
    }
    long stored = 0;
    try (var files = Files.list(model)) {
      for (Path file : files.filter(f -> f.toString().endsWith(".safetensors")).toList()) {
        stored += Files.size(file);
      }
    }
    System.out.printf("model: %s, 32 layers, hidden 4096, 32 heads / 8 key-value heads, FFN 14336, vocabulary 32000,"
        + " random BF16 weights, %.2f GB in shards; 16 texts of 128 tokens%n%n", model, stored / 1e9);
    System.out.println("| step | wall | peak RSS | of which file-backed | peak RSS / stored weights |");
    System.out.println("|---|---|---|---|---|");
    Path out = work.resolve("big-out");
    List<List<String>> steps = List.of(
        List.of("java", "-jar", JAR.toString(), "score", "--model", model.toString(), "--data",
            model.resolve("calib.jsonl").toString(), "--out", work.resolve("big-scores.json").toString()),
        List.of("java", "-jar", JAR.toString(), "prune", "--model", model.toString(), "--data",
            model.resolve("calib.jsonl").toString(), "--eval", model.resolve("eval.jsonl").toString(),
            "--sparsity", "0.3", "--uniform-groups", "--no-latency", "--quiet", "--force", "--out", out.toString()));
    for (List<String> command : steps) {
      Sampled m = sampled(command);
      System.out.printf("| %s | %.0f s | %.2f GB | %.2f GB | %.2f |%n", command.get(3), m.wall(), m.peak() / 1e9,
          m.fileBacked() / 1e9, (double) m.peak() / stored);
    }
  }

  /** Wall time and the largest resident set seen (sampled every 200 ms), with its file-backed part. */
  record Sampled(double wall, long peak, long fileBacked) {}

  static Sampled sampled(List<String> command) throws Exception {
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(Path.of("target/bench/big.log").toFile()));
    builder.environment().put("DJL_OFFLINE", "true");
    long start = System.nanoTime();
    Process process = builder.start();
    long peak = 0, fileBacked = 0;
    Path status = Path.of("/proc/" + process.pid() + "/status");
    while (process.isAlive()) {
      try {
        long anon = 0, file = 0, shmem = 0;
        for (String line : Files.readAllLines(status)) {
          String[] parts = line.split("\\s+");
          switch (parts[0]) {
            case "RssAnon:" -> anon = Long.parseLong(parts[1]) * 1024;
            case "RssFile:" -> file = Long.parseLong(parts[1]) * 1024;
            case "RssShmem:" -> shmem = Long.parseLong(parts[1]) * 1024;
            default -> { }
          }
        }
        if (anon + file + shmem > peak) {
          peak = anon + file + shmem;
          fileBacked = file;
        }
      } catch (IOException e) {
        // the process has just ended
      }
      process.waitFor(200, java.util.concurrent.TimeUnit.MILLISECONDS);
    }
    if (process.exitValue() != 0) {
      throw new IllegalStateException(String.join(" ", command) + " failed: see target/bench/big.log");
    }
    return new Sampled((System.nanoTime() - start) / 1e9, peak, fileBacked);
  }

  // ---------------------------------------------------------------------------------------------
  // target: the maxMetricDrop search with an automatic α, this jar against OLD.jar (the grid)

  static void target(Path work, Path before, String only) throws Exception {
    Path calibration = texts(work.resolve("job-calib.jsonl"), 256, 21);
    Path evaluation = texts(work.resolve("job-eval-281.jsonl"), 281, 22);
    Map<String, List<Path>> models = new LinkedHashMap<>();
    models.put("MiniLM shape (6 × 12 heads, random weights)",
        List.of(syntheticModel(work.resolve("minilm"), 6, 384, 12), calibration, evaluation));
    models.put("4-layer BERT shape (4 × 8 heads, random weights)",
        List.of(syntheticModel(work.resolve("bert-4x8"), 4, 256, 8), calibration, evaluation));
    models.put("tiny-bert-order (4 × 4 heads, trained)",
        List.of(FIXTURE, FIXTURE.resolve("calib.jsonl"), FIXTURE.resolve("eval.jsonl")));
    System.out.println("job: 4 criteria × 3 sparsities × 3 seeds, alpha auto (by divergence), maxMetricDrop 0.02 on a"
        + " 0.05 grid (19 points), 32 calibration texts a seed\n");
    System.out.println("| model | jar | wall | CPU | target sparsity | heads pruned | target search |");
    System.out.println("|---|---|---|---|---|---|---|");
    for (var model : models.entrySet()) {
      if (!model.getKey().startsWith(only)) {
        continue;
      }
      List<Path> jars = new ArrayList<>();
      if (before != null) {
        jars.add(before);
      }
      jars.add(JAR);
      for (Path jar : jars) {
        Path out = work.resolve("target-" + (jar.equals(JAR) ? "now" : "before"));
        List<String> command = List.of("java", "-jar", jar.toString(), "prune", "--model", model.getValue().get(0).toString(),
            "--data", model.getValue().get(1).toString(), "--eval", model.getValue().get(2).toString(), "--criteria",
            "hies,his,entropy,random", "--sparsities", "0.25,0.5,0.75", "--seeds", "3", "--calibration-size", "32",
            "--alpha", "auto", "--max-metric-drop", "0.02", "--step", "0.05", "--no-latency", "--quiet", "--force", "--out",
            out.toString());
        Measure m = once(command, Map.of());
        JsonNode report = Json.MAPPER.readTree(Files.readAllBytes(out.resolve("report.json")));
        String reason = report.get("target").get("reason").asString();
        System.out.printf("| %s | %s | %.1f s | %.1f s | %.2f | %d | %s |%n", model.getKey(),
            jar.equals(JAR) ? "this jar" : before.getFileName(), m.wall(), m.cpu(), report.get("target").get("sparsity").asDouble(),
            report.get("artifact").get("prunedHeads").size(),
            reason.contains("bisection") ? reason.replaceAll(".*found by (bisection \\(.*\\)).*", "$1") : "every grid point");
      }
    }
  }

  // ---------------------------------------------------------------------------------------------
  // measuring processes

  record Measure(double wall, double cpu, double rssGb) {}

  /** One row of the side-by-side table; returns the baseline's figures. */
  static Measure compare(String what, List<String> baseline, Map<String, String> baselineEnv, List<String> ours, Map<String, String> oursEnv)
      throws Exception {
    return compare(what, baseline, baselineEnv, ours, oursEnv, RUNS);
  }

  static Measure compare(String what, List<String> baseline, Map<String, String> baselineEnv, List<String> ours, Map<String, String> oursEnv,
      int runs) throws Exception {
    Measure b = measure(baseline, baselineEnv, runs);
    Measure o = measure(ours, oursEnv, runs);
    System.out.printf("| %s | %.2f s / %.2f s / %.2f GB | %.2f s / %.2f s / %.2f GB | %.2f | %.2f |%n", what, b.wall(), b.cpu(),
        b.rssGb(), o.wall(), o.cpu(), o.rssGb(), b.wall() / o.wall(), b.cpu() / o.cpu());
    return b;
  }

  /** Median wall, CPU and peak RSS of {@code RUNS} runs after a warm-up, each taken from GNU time. */
  static Measure measure(List<String> command, Map<String, String> env) throws Exception {
    return measure(command, env, RUNS);
  }

  static Measure measure(List<String> command, Map<String, String> env, int count) throws Exception {
    once(command, env);
    List<Measure> runs = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      runs.add(once(command, env));
    }
    return new Measure(
        runs.stream().mapToDouble(Measure::wall).sorted().toArray()[count / 2],
        runs.stream().mapToDouble(Measure::cpu).sorted().toArray()[count / 2],
        runs.stream().mapToDouble(Measure::rssGb).sorted().toArray()[count / 2]);
  }

  static Measure once(List<String> command, Map<String, String> env) throws Exception {
    Path times = Files.createTempFile("bench-time", ".txt");
    List<String> timed = plus(List.of("/usr/bin/time", "-f", "%e %U %S %M", "-o", times.toString()), command);
    run(timed, env);
    String[] f = Files.readString(times).strip().split("\\s+");
    Files.delete(times);
    return new Measure(Double.parseDouble(f[0]), Double.parseDouble(f[1]) + Double.parseDouble(f[2]), Long.parseLong(f[3]) / 1e6);
  }

  static void run(List<String> command, Map<String, String> env) throws Exception {
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
    builder.environment().putAll(env);
    builder.environment().put("DJL_OFFLINE", "true");
    Process process = builder.start();
    byte[] output = process.getInputStream().readAllBytes();
    if (process.waitFor() != 0) {
      throw new IllegalStateException(String.join(" ", command) + " failed:\n" + new String(output));
    }
  }

  static String command(List<String> command) {
    try {
      Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
      String out = new String(process.getInputStream().readAllBytes());
      return process.waitFor() == 0 ? out : "";
    } catch (IOException | InterruptedException e) {
      return "";
    }
  }

  static boolean python() {
    return Files.isExecutable(PYTHON) && !command(List.of(PYTHON.toString(), "-c", "import torch")).contains("Error");
  }

  /** Busy processes on every core, as other tenants of a shared node. */
  record Burner(List<Process> processes) implements AutoCloseable {
    static Burner start(int count) throws IOException {
      List<Process> processes = new ArrayList<>();
      for (int i = 0; i < count; i++) {
        processes.add(new ProcessBuilder("sh", "-c", "while :; do :; done").start());
      }
      return new Burner(processes);
    }

    @Override
    public void close() {
      processes.forEach(Process::destroyForcibly);
    }
  }

  @SafeVarargs
  static List<String> plus(List<String> head, Object... more) {
    List<String> all = new ArrayList<>(head);
    for (Object o : more) {
      if (o instanceof List<?> list) {
        list.forEach(x -> all.add(x.toString()));
      } else {
        all.add(o.toString());
      }
    }
    return all;
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

  // ---------------------------------------------------------------------------------------------
  // inputs

  /**
   * {@code count} labelled texts of realistic spread: 1 to 6 of the fixture's sentences joined
   * (8 to about 160 words; the tokenizer keeps 128 tokens).
   */
  static Path texts(Path file, int count, long seed) throws IOException {
    List<String> lines = Files.readAllLines(FIXTURE.resolve("calib.jsonl"));
    Random random = new Random(seed);
    StringBuilder out = new StringBuilder();
    for (int i = 0; i < count; i++) {
      int parts = 1 + (int) Math.floor(Math.pow(random.nextDouble(), 1.5) * 6);
      StringBuilder text = new StringBuilder();
      for (int p = 0; p < parts; p++) {
        JsonNode row = Json.MAPPER.readTree(lines.get(random.nextInt(lines.size())));
        text.append(p == 0 ? "" : " ").append(row.get("text").asString());
      }
      out.append(Json.MAPPER.writeValueAsString(Map.of("text", text.toString(), "label", random.nextInt(2)))
          .replaceAll("\\s*\\n\\s*", " ")).append('\n');
    }
    Files.writeString(file, out);
    return file;
  }

  /** The token ids headprune's tokenizer gives {@code texts}, as the Python baseline reads them. */
  static int[] tokenIds(Path model, Path texts, Path ids) throws IOException {
    try (Checkpoint checkpoint = Models.open(model);
        TextTokenizer tokenizer = TextTokenizer.open(model, 128)) {
      List<Encoded> encoded = Encoded.of(tokenizer, DatasetReader.read(texts, checkpoint.config().labels()));
      List<List<Long>> all = new ArrayList<>();
      List<Integer> labels = new ArrayList<>();
      for (Encoded e : encoded) {
        all.add(Arrays.stream(e.tokens().ids()).boxed().toList());
        labels.add(e.label().intValue());
      }
      Files.writeString(ids, Json.MAPPER.writeValueAsString(Map.of("ids", all, "labels", labels)));
      return encoded.stream().mapToInt(Encoded::length).toArray();
    }
  }

  /** The fixture's config and tokenizer with bigger dimensions and seeded random weights. */
  static Path syntheticModel(Path target, int layers, int hidden, int heads) throws Exception {
    if (Files.exists(target.resolve("model.safetensors"))) {
      return target;
    }
    Files.createDirectories(target);
    for (String file : List.of("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "vocab.txt")) {
      Files.copy(FIXTURE.resolve(file), target.resolve(file));
    }
    ObjectNode config = (ObjectNode) Json.MAPPER.readTree(Files.readAllBytes(FIXTURE.resolve("config.json")));
    int intermediate = 4 * hidden;
    int vocab = config.get("vocab_size").asInt();
    int positions = Math.max(512, config.get("max_position_embeddings").asInt());
    config.put("num_hidden_layers", layers).put("hidden_size", hidden).put("num_attention_heads", heads)
        .put("intermediate_size", intermediate).put("max_position_embeddings", positions);
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

  // ---------------------------------------------------------------------------------------------
  // load

  /**
   * The service as one process runs it (embedded PostgreSQL, both roles, two CPU devices) under an
   * open-loop load: {@code rate} requests a second for {@code seconds}, whatever the answers take,
   * while two long jobs run. The mix: job views, job lists, readiness and job scores (GETs), job
   * submissions and cancellations (POSTs). Afterwards it waits for every accepted job to end and
   * checks that each ran at most once.
   */
  /**
   * Small jobs behind a big one on one worker with one CPU device: a MiniLM-shape job (4 criteria ×
   * 3 sparsities × 3 seeds) starts, then two tiny-fixture jobs are submitted. Each short job's time
   * to answer (submitted → SUCCEEDED) and the long one's, for OLD.jar (if given) and this jar with
   * one job at a time and with two.
   */
  static final class Queue {
    static void run(Path work, Path before) throws Exception {
      System.out.printf("one worker, devices cpu; the long job: MiniLM shape (6 × 12 heads), 4 criteria × 3"
          + " sparsities × 3 seeds, 32 calibration texts a seed, 281 evaluation texts; then two short jobs on"
          + " the tiny fixture (1 criterion, 1 seed, 16 calibration texts, 512 evaluation texts)%n%n");
      System.out.println("| jar | headprune.worker.concurrency | long job | short job 1 | short job 2 |");
      System.out.println("|---|---|---|---|---|");
      Path minilm = syntheticModel(work.resolve("minilm"), 6, 384, 12);
      Path calibration = texts(work.resolve("job-calib.jsonl"), 256, 21);
      Path evaluation = texts(work.resolve("job-eval-281.jsonl"), 281, 22);
      if (before != null) {
        once(work, before, 1, minilm, calibration, evaluation);
      }
      once(work, JAR, 1, minilm, calibration, evaluation);
      once(work, JAR, 2, minilm, calibration, evaluation);
    }

    private static void once(Path work, Path jar, int concurrency, Path minilm, Path calibration, Path evaluation)
        throws Exception {
      Path data = work.resolve("queue-data");
      Load.deleteTree(data);
      Path log = work.resolve("queue-service.log");
      Process service = new ProcessBuilder("java", "-Xmx2g", "-jar", jar.toString(), "serve",
              "--headprune.data-dir=" + data, "--server.port=" + Load.PORT, "--headprune.worker.devices=cpu",
              "--headprune.worker.concurrency=" + concurrency,
              "--headprune.quota.queued-jobs=100000", "--headprune.quota.running-jobs=100")
          .redirectErrorStream(true).redirectOutput(log.toFile()).start();
      try {
        Load.auth = null;
        while (Load.status("GET", "/actuator/health/readiness", null, null) != 200) {
          if (!service.isAlive()) {
            throw new IllegalStateException("the service exited; see " + log);
          }
          Thread.sleep(500);
        }
        Load.auth = "Bearer " + Files.readString(data.resolve("admin.key")).strip();
        String big = Load.upload("/v1/models", Load.tar(minilm, work.resolve("minilm.tar.gz")));
        String bigCalib = Load.upload("/v1/datasets", calibration);
        String bigEval = Load.upload("/v1/datasets", evaluation);
        String tiny = Load.upload("/v1/models", Load.tar(FIXTURE, work.resolve("tiny.tar.gz")));
        String tinyCalib = Load.upload("/v1/datasets", FIXTURE.resolve("calib.jsonl"));
        String tinyEval = Load.upload("/v1/datasets", FIXTURE.resolve("eval.jsonl"));
        String long_ = Load.field(Load.send("POST", "/v1/jobs", "{\"model\":{\"id\":\"" + big + "\"},\"calibration\":{\"id\":\""
            + bigCalib + "\"},\"evaluation\":{\"id\":\"" + bigEval + "\"},\"criteria\":[\"hies\",\"his\",\"entropy\",\"random\"],"
            + "\"sparsities\":[0.25,0.5,0.75],\"seeds\":3,\"calibrationSize\":32,\"target\":{\"sparsity\":0.5}}", null), "id");
        while (!Load.field(Load.send("GET", "/v1/jobs/" + long_, null, null), "status").equals("RUNNING")) {
          Thread.sleep(100);
        }
        Thread.sleep(3000); // well into its work
        String shortJob = "{\"model\":{\"id\":\"" + tiny + "\"},\"calibration\":{\"id\":\"" + tinyCalib
            + "\"},\"evaluation\":{\"id\":\"" + tinyEval + "\"},\"criteria\":[\"hies\"],\"sparsities\":[0.5],\"seeds\":1,"
            + "\"calibrationSize\":16,\"target\":{\"sparsity\":0.5}}";
        List<String> ids = List.of(long_, Load.field(Load.send("POST", "/v1/jobs", shortJob, null), "id"),
            Load.field(Load.send("POST", "/v1/jobs", shortJob, null), "id"));
        List<String> took = new ArrayList<>();
        for (String id : ids) {
          JsonNode job;
          while (true) {
            job = Json.MAPPER.readTree(Load.send("GET", "/v1/jobs/" + id, null, null));
            String status = job.get("status").asString();
            if (status.equals("SUCCEEDED")) {
              break;
            }
            if (status.equals("FAILED") || status.equals("CANCELLED")) {
              throw new IllegalStateException("job " + id + " " + status + ": " + job.get("error"));
            }
            Thread.sleep(200);
          }
          double seconds = java.time.Duration.between(java.time.Instant.parse(job.get("createdAt").asString()),
              java.time.Instant.parse(job.get("finishedAt").asString())).toMillis() / 1000.0;
          took.add(String.format("%.1f s", seconds));
        }
        System.out.printf("| %s | %d | %s | %s | %s |%n", jar.equals(JAR) ? "this jar" : jar.getFileName(), concurrency,
            took.get(0), took.get(1), took.get(2));
      } finally {
        service.destroy();
        service.waitFor();
      }
    }
  }

  static final class Load {
    record Sample(String kind, boolean get, int status, double millis) {}

    static final int PORT = 18080;
    static final java.net.http.HttpClient HTTP =
        java.net.http.HttpClient.newBuilder().version(java.net.http.HttpClient.Version.HTTP_1_1)
            .connectTimeout(java.time.Duration.ofSeconds(10)).build();
    static String auth;

    static void run(Path work, int rate, int seconds) throws Exception {
      Path data = work.resolve("load-data");
      deleteTree(data);
      Path log = work.resolve("load-service.log");
      Process service = new ProcessBuilder("java", "-Xmx2g", "-jar", JAR.toString(), "serve",
              "--headprune.data-dir=" + data, "--server.port=" + PORT,
              "--headprune.worker.devices=" + System.getenv().getOrDefault("LOAD_DEVICES", "cpu,cpu"),
              "--headprune.quota.queued-jobs=100000", "--headprune.quota.running-jobs=100")
          .redirectErrorStream(true).redirectOutput(log.toFile()).start();
      try {
        long boot = System.nanoTime();
        while (status("GET", "/actuator/health/readiness", null, null) != 200) {
          if (!service.isAlive()) {
            throw new IllegalStateException("the service exited; see " + log);
          }
          Thread.sleep(500);
        }
        System.out.printf("service ready in %.1f s (embedded PostgreSQL, roles api+worker, devices cpu,cpu; log %s)%n",
            (System.nanoTime() - boot) / 1e9, log);
        auth = "Bearer " + Files.readString(data.resolve("admin.key")).strip();
        String key = field(send("POST", "/v1/keys", "{\"tenant\":\"load\",\"role\":\"member\"}", null), "key");
        // the two long jobs: the bench job's MiniLM shape; the load's jobs: the tiny fixture
        Path minilm = syntheticModel(work.resolve("minilm"), 6, 384, 12);
        String big = upload("/v1/models", tar(minilm, work.resolve("minilm.tar.gz")));
        String bigCalib = upload("/v1/datasets", texts(work.resolve("job-calib.jsonl"), 256, 21));
        String bigEval = upload("/v1/datasets", texts(work.resolve("job-eval-281.jsonl"), 281, 22));
        List<String> background = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
          background.add(field(send("POST", "/v1/jobs", "{\"model\":{\"id\":\"" + big + "\"},\"calibration\":{\"id\":\"" + bigCalib
              + "\"},\"evaluation\":{\"id\":\"" + bigEval + "\"},\"criteria\":[\"hies\",\"his\",\"entropy\",\"random\"],"
              + "\"sparsities\":[0.1,0.2,0.3,0.4,0.5],\"seeds\":5,\"calibrationSize\":32,\"target\":{\"sparsity\":0.3}}", null), "id"));
        }
        auth = "Bearer " + key;
        String tiny = upload("/v1/models", tar(FIXTURE, work.resolve("tiny.tar.gz")));
        String tinyCalib = upload("/v1/datasets", FIXTURE.resolve("calib.jsonl"));
        String tinyEval = upload("/v1/datasets", FIXTURE.resolve("eval.jsonl"));
        String tinyJob = "{\"model\":{\"id\":\"" + tiny + "\"},\"calibration\":{\"id\":\"" + tinyCalib
            + "\"},\"evaluation\":{\"id\":\"" + tinyEval + "\"},\"criteria\":[\"hies\"],\"sparsities\":[0.5],\"seeds\":1,\"calibrationSize\":16,\"target\":{\"sparsity\":0.5}}";
        String first = field(send("POST", "/v1/jobs", tinyJob, null), "id");
        auth = "Bearer " + Files.readString(data.resolve("admin.key")).strip();
        for (String id : background) {
          while (!field(send("GET", "/v1/jobs/" + id, null, null), "status").equals("RUNNING")) {
            Thread.sleep(200);
          }
        }
        auth = "Bearer " + key;
        System.out.printf("two jobs running (MiniLM shape, 4 criteria × 5 sparsities × 5 seeds, 281 evaluation texts)%n");

        List<String> accepted = java.util.Collections.synchronizedList(new ArrayList<>(List.of(first)));
        List<java.util.concurrent.CompletableFuture<Sample>> pending = new ArrayList<>();
        Random random = new Random(5);
        long start = System.nanoTime();
        long interval = 1_000_000_000L / rate;
        for (int i = 0; i < rate * seconds; i++) {
          long due = start + i * interval;
          long wait = due - System.nanoTime();
          if (wait > 0) {
            java.util.concurrent.locks.LockSupport.parkNanos(wait);
          }
          double pick = random.nextDouble();
          String some = accepted.get(random.nextInt(accepted.size()));
          if (pick < 0.40) {
            pending.add(timed("job view", "GET", "/v1/jobs/" + some, null, null));
          } else if (pick < 0.60) {
            pending.add(timed("job list", "GET", "/v1/jobs?size=20", null, null));
          } else if (pick < 0.70) {
            pending.add(timed("readiness", "GET", "/actuator/health/readiness", null, null));
          } else if (pick < 0.80) {
            pending.add(timed("job scores", "GET", "/v1/jobs/" + some + "/scores", null, null));
          } else if (pick < 0.95) {
            pending.add(timed("submit", "POST", "/v1/jobs", tinyJob, "load-" + i));
          } else {
            pending.add(timed("cancel", "POST", "/v1/jobs/" + some + "/cancel", "", null));
          }
          if (i % rate == rate - 1) {
            // the jobs submitted so far, for views and cancellations
            java.util.concurrent.CompletableFuture.runAsync(() -> refresh(accepted));
          }
        }
        List<Sample> samples = new ArrayList<>();
        for (var f : pending) {
          samples.add(f.get());
        }
        double elapsed = (System.nanoTime() - start) / 1e9;
        report(samples, rate, seconds, elapsed);

        // every accepted job ends, each run once (the background jobs are the admin's tenant's)
        String admin = "Bearer " + Files.readString(data.resolve("admin.key")).strip();
        long waitStart = System.nanoTime();
        while (true) {
          Map<String, Integer> statuses = new java.util.TreeMap<>();
          int twice = 0;
          int total = 0;
          boolean open = false;
          for (String caller : List.of(admin, "Bearer " + key)) {
            auth = caller;
            int pages = 1;
            for (int p = 0; p < pages; p++) {
              JsonNode page = Json.MAPPER.readTree(send("GET", "/v1/jobs?size=200&page=" + p, null, null));
              pages = page.get("totalPages").asInt();
              for (JsonNode job : page.get("items")) {
                total++;
                String status = job.get("status").asString();
                statuses.merge(status, 1, Integer::sum);
                open |= status.equals("QUEUED") || status.equals("RUNNING");
                twice += job.get("attempt").asInt() > 1 ? 1 : 0;
              }
            }
          }
          if (!open) {
            System.out.printf("%nafter the load: %d jobs ended in %.0f s: %s; jobs run more than once: %d%n", total,
                (System.nanoTime() - waitStart) / 1e9, statuses, twice);
            break;
          }
          Thread.sleep(5000);
        }
        String lines = Files.readString(log);
        System.out.printf("service log: %d ERROR lines, %d 'Connection is not available' lines%n",
            lines.lines().filter(l -> l.contains(" ERROR ")).count(),
            lines.lines().filter(l -> l.contains("Connection is not available")).count());
      } finally {
        service.destroy();
        service.waitFor(60, java.util.concurrent.TimeUnit.SECONDS);
      }
    }

    static void refresh(List<String> accepted) {
      try {
        JsonNode page = Json.MAPPER.readTree(send("GET", "/v1/jobs?size=50", null, null));
        for (JsonNode job : page.get("items")) {
          String id = job.get("id").asString();
          if (!accepted.contains(id)) {
            accepted.add(id);
          }
        }
      } catch (Exception e) {
        // a refused list leaves the known ids as they are; the sample records the failure
      }
    }

    static void report(List<Sample> samples, int rate, int seconds, double elapsed) {
      System.out.printf("%nload: %d requests at %d/s for %d s (sent in %.1f s); machine load now %s%n%n", samples.size(), rate,
          seconds, elapsed, loadAverage());
      System.out.println("| requests | count | 2xx | 4xx | 5xx | failed | p50 | p99 | max |");
      System.out.println("|---|---|---|---|---|---|---|---|---|");
      Map<String, List<Sample>> byKind = new java.util.TreeMap<>();
      for (Sample s : samples) {
        byKind.computeIfAbsent(s.kind(), k -> new ArrayList<>()).add(s);
        byKind.computeIfAbsent(s.get() ? "all GETs" : "all POSTs", k -> new ArrayList<>()).add(s);
      }
      byKind.forEach((kind, list) -> {
        double[] ms = list.stream().mapToDouble(Sample::millis).sorted().toArray();
        System.out.printf("| %s | %d | %d | %d | %d | %d | %.0f ms | %.0f ms | %.0f ms |%n", kind, list.size(),
            list.stream().filter(s -> s.status() / 100 == 2).count(), list.stream().filter(s -> s.status() / 100 == 4).count(),
            list.stream().filter(s -> s.status() / 100 == 5).count(), list.stream().filter(s -> s.status() == 0).count(),
            ms[ms.length / 2], ms[(int) Math.min(ms.length - 1, Math.ceil(ms.length * 0.99) - 1)], ms[ms.length - 1]);
      });
      Map<String, Long> codes = new java.util.TreeMap<>();
      samples.forEach(s -> codes.merge(s.kind() + " " + s.status(), 1L, Long::sum));
      System.out.println("\nstatus codes: " + codes);
    }

    static String loadAverage() {
      try {
        return Files.readString(Path.of("/proc/loadavg")).strip().replaceAll("^(\\S+ \\S+ \\S+).*", "$1");
      } catch (IOException e) {
        return "?";
      }
    }

    static java.util.concurrent.CompletableFuture<Sample> timed(String kind, String method, String path, String body, String idempotency) {
      long start = System.nanoTime();
      return HTTP.sendAsync(request(method, path, body, idempotency), java.net.http.HttpResponse.BodyHandlers.ofByteArray())
          .handle((response, failure) -> new Sample(kind, method.equals("GET"), failure == null ? response.statusCode() : 0,
              (System.nanoTime() - start) / 1e6));
    }

    static java.net.http.HttpRequest request(String method, String path, String body, String idempotency) {
      var builder = java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://127.0.0.1:" + PORT + path))
          .timeout(java.time.Duration.ofSeconds(60));
      if (auth != null) {
        builder.header("Authorization", auth);
      }
      if (idempotency != null) {
        builder.header("Idempotency-Key", idempotency);
      }
      if (body == null) {
        return builder.GET().build();
      }
      return builder.header("Content-Type", "application/json")
          .method(method, java.net.http.HttpRequest.BodyPublishers.ofString(body)).build();
    }

    static int status(String method, String path, String body, String idempotency) {
      try {
        return HTTP.send(request(method, path, body, idempotency), java.net.http.HttpResponse.BodyHandlers.discarding()).statusCode();
      } catch (IOException | InterruptedException e) {
        return 0;
      }
    }

    static String send(String method, String path, String body, String idempotency) throws Exception {
      var response = HTTP.send(request(method, path, body, idempotency), java.net.http.HttpResponse.BodyHandlers.ofString());
      if (response.statusCode() / 100 != 2) {
        throw new IllegalStateException(method + " " + path + " → " + response.statusCode() + " " + response.body());
      }
      return response.body();
    }

    static String field(String json, String name) {
      return Json.MAPPER.readTree(json).get(name).asString();
    }

    /** A multipart upload of one file; the id the service gives it. */
    static String upload(String path, Path file) throws Exception {
      String boundary = "bench" + System.nanoTime();
      byte[] head = ("--" + boundary + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"" + file.getFileName()
          + "\"\r\nContent-Type: application/octet-stream\r\n\r\n").getBytes(java.nio.charset.StandardCharsets.UTF_8);
      byte[] tail = ("\r\n--" + boundary + "--\r\n").getBytes(java.nio.charset.StandardCharsets.UTF_8);
      byte[] content = Files.readAllBytes(file);
      byte[] all = new byte[head.length + content.length + tail.length];
      System.arraycopy(head, 0, all, 0, head.length);
      System.arraycopy(content, 0, all, head.length, content.length);
      System.arraycopy(tail, 0, all, head.length + content.length, tail.length);
      var request = java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://127.0.0.1:" + PORT + path))
          .header("Authorization", auth).header("Content-Type", "multipart/form-data; boundary=" + boundary)
          .POST(java.net.http.HttpRequest.BodyPublishers.ofByteArray(all)).build();
      var response = HTTP.send(request, java.net.http.HttpResponse.BodyHandlers.ofString());
      if (response.statusCode() / 100 != 2) {
        throw new IllegalStateException("upload " + file + " → " + response.statusCode() + " " + response.body());
      }
      return field(response.body(), "id");
    }

    static Path tar(Path model, Path target) throws Exception {
      List<String> files = new ArrayList<>();
      for (String f : List.of("config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "vocab.txt")) {
        if (Files.exists(model.resolve(f))) {
          files.add(f);
        }
      }
      Bench.run(plus(List.of("tar", "czf", target.toString(), "-C", model.toString()), files), Map.of());
      return target;
    }

    static void deleteTree(Path root) throws IOException {
      if (Files.exists(root)) {
        try (var walk = Files.walk(root)) {
          for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
            Files.delete(p);
          }
        }
      }
    }
  }

  // ---------------------------------------------------------------------------------------------
  // hostile: the probes' costliest inputs against one service process with a 512 MB heap

  static final class Hostile {
    static final int PORT = 18081;
    static volatile long pid;
    static volatile long peakKb;
    static final List<String> liveness = java.util.Collections.synchronizedList(new ArrayList<>());

    static void run(Path work) throws Exception {
      Path data = work.resolve("hostile-data");
      Load.deleteTree(data);
      Path log = work.resolve("hostile-service.log");
      Process service = new ProcessBuilder("java", "-Xmx512m", "-jar", JAR.toString(), "serve",
              "--headprune.data-dir=" + data, "--server.port=" + PORT, "--headprune.worker.devices=cpu")
          .redirectErrorStream(true).redirectOutput(log.toFile()).start();
      pid = service.pid();
      String base = "http://127.0.0.1:" + PORT;
      try {
        long boot = System.nanoTime();
        while (code(get(base + "/actuator/health/readiness")) != 200) {
          if (!service.isAlive()) {
            throw new IllegalStateException("the service exited; see " + log);
          }
          Thread.sleep(500);
        }
        String auth = "Bearer " + Files.readString(data.resolve("admin.key")).strip();
        System.out.printf("service ready in %.1f s: one process (api + worker), -Xmx512m, RSS %d MB; machine load %s%n%n",
            (System.nanoTime() - boot) / 1e9, rssKb() / 1024, Load.loadAverage());
        Thread sampler = new Thread(() -> sample(base));
        sampler.setDaemon(true);
        sampler.start();
        System.out.println("| input | answers | time to answer | peak RSS during | service alive |");
        System.out.println("|---|---|---|---|---|");

        // 1. five at once: a tar whose GNU long name claims 1.5 GB, followed by 7 MB of it
        byte[] longName = gzip(concat(tarHeader("././@LongLink", 'L', 1_500_000_000L, "ustar  \0"), new byte[7_400_000]));
        phase("five 7.4 MB uploads with a 1.5 GB tar long name, at once", service, () -> {
          List<java.util.concurrent.CompletableFuture<Integer>> all = new ArrayList<>();
          for (int i = 0; i < 5; i++) {
            all.add(multipartAsync(base + "/v1/models", auth, "longname.tar.gz", longName));
          }
          return all.stream().map(java.util.concurrent.CompletableFuture::join).toList();
        });

        // 1b. five at once: a model whose safetensors header is 100 MB (1.7 million tensors)
        byte[] header = bigHeaderModel();
        phase(String.format("five %.1f MB uploads of a model with a 100 MB safetensors header, at once", header.length / 1e6), service, () -> {
          List<java.util.concurrent.CompletableFuture<Integer>> all = new ArrayList<>();
          for (int i = 0; i < 5; i++) {
            all.add(multipartAsync(base + "/v1/models", auth, "header.tar.gz", header));
          }
          return all.stream().map(java.util.concurrent.CompletableFuture::join).toList();
        });

        // 2. four at once: a 95 MB job request sent chunked (no Content-Length)
        byte[] bigJson = ("{\"model\":{\"id\":\"" + "x".repeat(95_000_000) + "\"}}").getBytes(java.nio.charset.StandardCharsets.UTF_8);
        phase("four 95 MB chunked JSON job requests, at once", service, () -> {
          List<java.util.concurrent.CompletableFuture<Integer>> all = new ArrayList<>();
          for (int i = 0; i < 4; i++) {
            var request = java.net.http.HttpRequest.newBuilder(java.net.URI.create(base + "/v1/jobs"))
                .header("Authorization", auth).header("Content-Type", "application/json")
                .POST(java.net.http.HttpRequest.BodyPublishers.ofInputStream(() -> new java.io.ByteArrayInputStream(bigJson))).build();
            all.add(Load.HTTP.sendAsync(request, java.net.http.HttpResponse.BodyHandlers.discarding())
                .handle((r, e) -> r == null ? 0 : r.statusCode()));
          }
          return all.stream().map(java.util.concurrent.CompletableFuture::join).toList();
        });

        // 3. a 1 GB multipart body to an endpoint that takes none
        phase("a 1 GB multipart body to /v1/jobs/{id}/cancel", service, () -> {
          var request = java.net.http.HttpRequest.newBuilder(java.net.URI.create(base + "/v1/jobs/" + java.util.UUID.randomUUID() + "/cancel"))
              .header("Authorization", auth).header("Content-Type", "multipart/form-data; boundary=b")
              .POST(java.net.http.HttpRequest.BodyPublishers.ofInputStream(() -> new ZeroStream(1L << 30))).build();
          return List.of(Load.HTTP.sendAsync(request, java.net.http.HttpResponse.BodyHandlers.discarding())
              .handle((r, e) -> r == null ? 0 : r.statusCode()).join());
        });

        // 4. a zip of 600,000 entries
        byte[] manyEntries = manyEntriesZip(600_000);
        phase(String.format("a zip of 600,000 entries (%.0f MB)", manyEntries.length / 1e6), service,
            () -> List.of(multipartAsync(base + "/v1/models", auth, "many.zip", manyEntries).join()));

        // 5. a tar directory entry declaring 4 GiB
        byte[] directory = gzip(concat(tarHeader("model/", '5', 4L << 30, "ustar\u000000"), new byte[1 << 20]));
        phase("a tar directory entry declaring 4 GiB", service,
            () -> List.of(multipartAsync(base + "/v1/models", auth, "dir.tar.gz", directory).join()));

        // 6. a tokenizer.json with 200,000 added tokens
        Path added = modelWith(work.resolve("hostile-added"), tokenizer -> {
          var list = (tools.jackson.databind.node.ArrayNode) tokenizer.get("added_tokens");
          for (int i = 0; i < 200_000; i++) {
            list.addObject().put("id", 100_000 + i).put("content", "tok" + i).put("special", false);
          }
        });
        byte[] addedArchive = Files.readAllBytes(Load.tar(added, work.resolve("hostile-added.tar.gz")));
        phase("a model whose tokenizer.json has 200,000 added tokens", service,
            () -> List.of(multipartAsync(base + "/v1/models", auth, "added.tar.gz", addedArchive).join()));

        // 7. an image dataset naming one 6900 × 6900 PNG in 2,000 rows: past a 512 MB heap's decoding budget
        byte[] huge = imageDataset(6900, 2000);
        phase("an image dataset naming one 6900×6900 PNG (47.6 Mpx) in 2,000 rows", service,
            () -> List.of(multipartAsync(base + "/v1/datasets", auth, "huge.tar.gz", huge).join()));
        // and one that fits it, named 2,000 times: decoded once
        byte[] images = imageDataset(2800, 2000);
        phase("an image dataset naming one 2800×2800 PNG in 2,000 rows (accepted: decoded once)", service,
            () -> List.of(multipartAsync(base + "/v1/datasets", auth, "images.tar.gz", images).join()));

        // 8. the poison job: a tokenizer whose regex aborts the native library on one text
        Path poison = modelWith(work.resolve("hostile-poison"), tokenizer -> tokenizer.putObject("pre_tokenizer")
            .put("type", "Split").put("behavior", "Isolated").put("invert", false).putObject("pattern").put("Regex", "(a+)+$"));
        String model = field(multipart(base + "/v1/models", auth, "poison.tar.gz", Files.readAllBytes(Load.tar(poison, work.resolve("hostile-poison.tar.gz")))));
        String texts = "{\"text\": \"a fine text\", \"label\": 0}\n{\"text\": \"" + "a".repeat(4000) + "!\", \"label\": 1}\n";
        String calibration = field(multipart(base + "/v1/datasets", auth, "poison.jsonl", texts.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        phase("a job whose tokenizer regex aborts the native library ((a+)+$ on 4,000 a)", service, () -> {
          var submitted = post(base + "/v1/jobs", auth, "{\"model\":{\"id\":\"" + model + "\"},\"calibration\":{\"id\":\"" + calibration
              + "\"},\"criteria\":[\"hies\"],\"sparsities\":[0.25],\"target\":{\"sparsity\":0.25},\"seeds\":1}");
          String id = Json.MAPPER.readTree(submitted.body()).get("id").asString();
          while (true) {
            JsonNode job = Json.MAPPER.readTree(get(base + "/v1/jobs/" + id, auth).body());
            String status = job.get("status").asString();
            if (!status.equals("QUEUED") && !status.equals("RUNNING")) {
              System.out.printf("<!-- job %s: %s, attempt %d: %s -->%n", id, status, job.get("attempt").asInt(),
                  job.path("error").path("detail").asString(""));
              return List.of(status.equals("FAILED") ? 1 : -1);
            }
            Thread.sleep(250);
          }
        });
        sampler.interrupt();
        System.out.printf("%nliveness probes during the run: %d, not 200 or slower than 2 s: %s; peak RSS of the process %d MB (VmHWM); ERROR lines in the log: %d%n",
            probes, liveness, hwmKb() / 1024, Files.readString(log).lines().filter(l -> l.contains(" ERROR ")).count());
      } finally {
        service.destroy();
        service.waitFor(60, java.util.concurrent.TimeUnit.SECONDS);
      }
    }

    interface Work {
      List<Integer> run() throws Exception;
    }

    static void phase(String name, Process service, Work work) throws Exception {
      peakKb = rssKb();
      long start = System.nanoTime();
      List<Integer> codes = work.run();
      double seconds = (System.nanoTime() - start) / 1e9;
      System.out.printf("| %s | %s | %.1f s | %d MB | %s |%n", name, codes, seconds, peakKb / 1024,
          service.isAlive() && code(get("http://127.0.0.1:" + PORT + "/actuator/health/liveness")) == 200 ? "yes" : "NO");
    }

    static volatile int probes;

    /** Samples the process's RSS every 100 ms and its liveness every 500 ms. */
    static void sample(String base) {
      int tick = 0;
      while (!Thread.currentThread().isInterrupted()) {
        peakKb = Math.max(peakKb, rssKb());
        if (tick++ % 5 == 0) {
          long start = System.nanoTime();
          int status = code(get(base + "/actuator/health/liveness"));
          double ms = (System.nanoTime() - start) / 1e6;
          probes++;
          if (status != 200 || ms > 2000) {
            liveness.add(status + " in " + Math.round(ms) + " ms");
          }
        }
        try {
          Thread.sleep(100);
        } catch (InterruptedException e) {
          return;
        }
      }
    }

    static long rssKb() {
      return status("VmRSS");
    }

    static long hwmKb() {
      return status("VmHWM");
    }

    static long status(String field) {
      try {
        for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
          if (line.startsWith(field + ":")) {
            return Long.parseLong(line.replaceAll("\\D", ""));
          }
        }
      } catch (IOException e) {
        // the process is gone
      }
      return 0;
    }

    static java.net.http.HttpResponse<String> get(String url) {
      return get(url, null);
    }

    static java.net.http.HttpResponse<String> get(String url, String auth) {
      try {
        var builder = java.net.http.HttpRequest.newBuilder(java.net.URI.create(url)).timeout(java.time.Duration.ofSeconds(10));
        if (auth != null) {
          builder.header("Authorization", auth);
        }
        return Load.HTTP.send(builder.build(), java.net.http.HttpResponse.BodyHandlers.ofString());
      } catch (IOException | InterruptedException e) {
        return null;
      }
    }

    static int code(java.net.http.HttpResponse<?> response) {
      return response == null ? 0 : response.statusCode();
    }

    static java.net.http.HttpResponse<String> post(String url, String auth, String json) throws Exception {
      return Load.HTTP.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(url)).header("Authorization", auth)
          .header("Content-Type", "application/json").POST(java.net.http.HttpRequest.BodyPublishers.ofString(json)).build(),
          java.net.http.HttpResponse.BodyHandlers.ofString());
    }

    static java.net.http.HttpRequest multipartRequest(String url, String auth, String filename, byte[] content) {
      String boundary = "hostile" + System.nanoTime();
      byte[] head = ("--" + boundary + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"" + filename
          + "\"\r\nContent-Type: application/octet-stream\r\n\r\n").getBytes(java.nio.charset.StandardCharsets.UTF_8);
      byte[] tail = ("\r\n--" + boundary + "--\r\n").getBytes(java.nio.charset.StandardCharsets.UTF_8);
      return java.net.http.HttpRequest.newBuilder(java.net.URI.create(url)).timeout(java.time.Duration.ofMinutes(10))
          .header("Authorization", auth).header("Content-Type", "multipart/form-data; boundary=" + boundary)
          .POST(java.net.http.HttpRequest.BodyPublishers.ofByteArray(concat(head, content, tail))).build();
    }

    static java.util.concurrent.CompletableFuture<Integer> multipartAsync(String url, String auth, String filename, byte[] content) {
      return Load.HTTP.sendAsync(multipartRequest(url, auth, filename, content), java.net.http.HttpResponse.BodyHandlers.ofString())
          .handle((r, e) -> r == null ? 0 : r.statusCode());
    }

    static String multipart(String url, String auth, String filename, byte[] content) throws Exception {
      var response = Load.HTTP.send(multipartRequest(url, auth, filename, content), java.net.http.HttpResponse.BodyHandlers.ofString());
      if (response.statusCode() / 100 != 2) {
        throw new IllegalStateException(filename + " → " + response.statusCode() + " " + response.body());
      }
      return response.body();
    }

    static String field(String json) {
      return Json.MAPPER.readTree(json).get("id").asString();
    }

    /** The tiny fixture with its tokenizer.json edited. */
    static Path modelWith(Path target, java.util.function.Consumer<ObjectNode> edit) throws IOException {
      Load.deleteTree(target);
      Files.createDirectories(target);
      try (var files = Files.list(FIXTURE)) {
        for (Path file : files.toList()) {
          Files.copy(file, target.resolve(file.getFileName()));
        }
      }
      ObjectNode tokenizer = (ObjectNode) Json.MAPPER.readTree(target.resolve("tokenizer.json").toFile());
      edit.accept(tokenizer);
      Files.writeString(target.resolve("tokenizer.json"), tokenizer.toString());
      return target;
    }

    static byte[] tarHeader(String name, char type, long size, String magic) {
      byte[] header = new byte[512];
      put(header, 0, name);
      put(header, 100, "0000644\0");
      put(header, 108, "0000000\0");
      put(header, 116, "0000000\0");
      put(header, 124, String.format("%011o\0", size));
      put(header, 136, "00000000000\0");
      header[156] = (byte) type;
      put(header, 257, magic);
      Arrays.fill(header, 148, 156, (byte) ' ');
      int sum = 0;
      for (byte b : header) {
        sum += b & 0xff;
      }
      put(header, 148, String.format("%06o\0 ", sum));
      return header;
    }

    static void put(byte[] header, int at, String text) {
      byte[] bytes = text.getBytes(java.nio.charset.StandardCharsets.ISO_8859_1);
      System.arraycopy(bytes, 0, header, at, bytes.length);
    }

    static byte[] gzip(byte[] content) throws IOException {
      var bytes = new java.io.ByteArrayOutputStream();
      try (var gzip = new java.util.zip.GZIPOutputStream(bytes)) {
        gzip.write(content);
      }
      return bytes.toByteArray();
    }

    static byte[] concat(byte[]... parts) {
      var out = new java.io.ByteArrayOutputStream();
      for (byte[] part : parts) {
        out.writeBytes(part);
      }
      return out.toByteArray();
    }

    static byte[] manyEntriesZip(int count) throws IOException {
      var bytes = new java.io.ByteArrayOutputStream();
      try (var zip = new java.util.zip.ZipOutputStream(bytes)) {
        for (int i = 0; i < count; i++) {
          var entry = new java.util.zip.ZipEntry("f" + i);
          entry.setMethod(java.util.zip.ZipEntry.STORED);
          entry.setSize(0);
          entry.setCrc(0);
          zip.putNextEntry(entry);
          zip.closeEntry();
        }
      }
      return bytes.toByteArray();
    }

    /** The tiny fixture with a model.safetensors whose header declares 1.7 million one-byte tensors (100 MB). */
    static byte[] bigHeaderModel() throws IOException {
      int count = 1_700_000;
      StringBuilder json = new StringBuilder(100 << 20).append('{');
      for (int i = 0; i < count; i++) {
        json.append(i == 0 ? "" : ",").append("\"t").append(i).append("\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[")
            .append(i).append(',').append(i + 1).append("]}");
      }
      byte[] header = json.append('}').toString().getBytes(java.nio.charset.StandardCharsets.UTF_8);
      ByteBuffer file = ByteBuffer.allocate(8 + header.length + count).order(ByteOrder.LITTLE_ENDIAN);
      file.putLong(header.length).put(header);
      var bytes = new java.io.ByteArrayOutputStream();
      try (var gzip = new java.util.zip.GZIPOutputStream(bytes);
          var tar = new org.apache.commons.compress.archivers.tar.TarArchiveOutputStream(gzip)) {
        for (String name : List.of("config.json", "model.safetensors", "vocab.txt")) {
          byte[] content = name.equals("model.safetensors") ? file.array() : Files.readAllBytes(FIXTURE.resolve(name));
          var entry = new org.apache.commons.compress.archivers.tar.TarArchiveEntry("model/" + name);
          entry.setSize(content.length);
          tar.putArchiveEntry(entry);
          tar.write(content);
          tar.closeArchiveEntry();
        }
      }
      return bytes.toByteArray();
    }

    /** A .tar.gz of one solid-colour PNG and a JSONL naming it in {@code rows} rows. */
    static byte[] imageDataset(int side, int rows) throws IOException {
      var image = new java.awt.image.BufferedImage(side, side, java.awt.image.BufferedImage.TYPE_INT_RGB);
      var png = new java.io.ByteArrayOutputStream();
      javax.imageio.ImageIO.write(image, "png", png);
      StringBuilder jsonl = new StringBuilder();
      for (int i = 0; i < rows; i++) {
        jsonl.append("{\"image\": \"big.png\", \"label\": ").append(i % 2).append("}\n");
      }
      var bytes = new java.io.ByteArrayOutputStream();
      try (var gzip = new java.util.zip.GZIPOutputStream(bytes);
          var tar = new org.apache.commons.compress.archivers.tar.TarArchiveOutputStream(gzip)) {
        for (var file : Map.of("data/big.png", png.toByteArray(),
            "data/data.jsonl", jsonl.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8)).entrySet()) {
          var entry = new org.apache.commons.compress.archivers.tar.TarArchiveEntry(file.getKey());
          entry.setSize(file.getValue().length);
          tar.putArchiveEntry(entry);
          tar.write(file.getValue());
          tar.closeArchiveEntry();
        }
      }
      return bytes.toByteArray();
    }

    /** {@code length} zero bytes, made as they are read. */
    static final class ZeroStream extends java.io.InputStream {
      private long left;

      ZeroStream(long length) {
        this.left = length;
      }

      @Override
      public int read() {
        return left-- > 0 ? 0 : -1;
      }

      @Override
      public int read(byte[] buffer, int offset, int length) {
        if (left <= 0) {
          return -1;
        }
        int n = (int) Math.min(length, left);
        Arrays.fill(buffer, offset, offset + n, (byte) 0);
        left -= n;
        return n;
      }
    }
  }
}
