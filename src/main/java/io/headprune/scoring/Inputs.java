package io.headprune.scoring;

import io.headprune.checkpoint.Checkpoint;
import io.headprune.checkpoint.ChoiceDataset;
import io.headprune.checkpoint.DataSource;
import io.headprune.checkpoint.DatasetReader;
import io.headprune.checkpoint.Example;
import io.headprune.checkpoint.ImageDataset;
import io.headprune.checkpoint.ImageProcessor;
import io.headprune.checkpoint.ModelConfig;
import io.headprune.checkpoint.Recipe;
import io.headprune.checkpoint.Tasks;
import io.headprune.checkpoint.TextTokenizer;
import io.headprune.model.Architecture;
import io.headprune.model.Models;
import io.headprune.problem.InvalidInputException;
import io.headprune.progress.Phase;
import io.headprune.progress.Progress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.IntStream;

/**
 * Prepares a model's examples from a dataset file, as its architecture's modality says: text
 * through the model's tokenizer, images through its {@code preprocessor_config.json}.
 */
public final class Inputs implements AutoCloseable {

  private final ModelConfig config;
  private final TextTokenizer tokenizer;
  private final ImageProcessor images;

  private Inputs(ModelConfig config, TextTokenizer tokenizer, ImageProcessor images) {
    this.config = config;
    this.tokenizer = tokenizer;
    this.images = images;
  }

  /**
   * Opens the tokenizer (truncating to {@code maxLength}) or the image processor of {@code
   * checkpoint}.
   */
  public static Inputs open(Checkpoint checkpoint, int maxLength) {
    ModelConfig config = checkpoint.config();
    Architecture architecture = Models.architecture(config);
    if (architecture.modality() == Architecture.Modality.IMAGE) {
      return new Inputs(
          config,
          null,
          ImageProcessor.open(checkpoint.directory(), architecture.imageProcessors()));
    }
    return new Inputs(
        config,
        TextTokenizer.open(checkpoint.directory(), Math.min(maxLength, config.maxPositions())),
        null);
  }

  /** Every example of {@code data}, in file order. */
  public List<Encoded> read(Path data) {
    return read(data, DatasetReader.Limits.DEFAULT);
  }

  /** Every example of {@code data}, in file order, within {@code limits}. */
  public List<Encoded> read(Path data, DatasetReader.Limits limits) {
    return read(data, limits, Integer.MAX_VALUE, Progress.NONE);
  }

  /**
   * At most {@code cap} examples of {@code data}: all of them, or a fixed random sample kept in
   * file order when the file has more (drawn before anything is tokenised or decoded). Reports
   * phase "load".
   */
  public List<Encoded> read(Path data, DatasetReader.Limits limits, int cap, Progress progress) {
    return read(DataSource.of(data), limits, cap, progress);
  }

  /**
   * At most {@code cap} examples of {@code data} read with its columns and recipe, sampled as
   * above.
   */
  public List<Encoded> read(
      DataSource data, DatasetReader.Limits limits, int cap, Progress progress) {
    if (!(data.recipe() instanceof Recipe.Examples)) {
      if (tokenizer == null || !config.languageModel()) {
        throw new InvalidInputException(
            "recipe " + data.recipe().id() + " applies to causal language models only");
      }
      rowsRead = 0;
      if (data.recipe() instanceof Recipe.Task task) {
        List<ChoiceDataset.TaskItem> items =
            sample(Tasks.read(data.path(), data.name(), data.columns(), task.task(), limits), cap);
        return Encoded.ofTaskItems(
            tokenizer, items, Models.harnessAddsBos(config), config.maxPositions());
      }
      if (data.recipe() instanceof Recipe.Segments segments) {
        return segments(data, segments, limits, progress);
      }
      return corpus(data, (Recipe.Corpus) data.recipe(), limits, progress);
    }
    if (tokenizer != null
        && config.languageModel()
        && ChoiceDataset.isChoiceDataset(data.path(), data.name(), data.columns())) {
      return Encoded.ofChoices(
          tokenizer,
          sample(ChoiceDataset.read(data.path(), data.name(), data.columns(), limits), cap));
    }
    if (tokenizer != null) {
      return Encoded.of(
          tokenizer,
          sample(
              DatasetReader.read(data.path(), data.name(), data.columns(), config.labels(), limits),
              cap),
          progress);
    }
    List<ImageDataset.ImageExample> examples =
        sample(
            ImageDataset.read(data.path(), data.name(), data.columns(), config.labels(), limits),
            cap);
    List<Encoded> encoded = new ArrayList<>(examples.size());
    // rows naming the same image share its pixels: decoded and resized once
    Map<Object, ImageProcessor.Prepared> prepared = new HashMap<>();
    for (ImageDataset.ImageExample example : examples) {
      ImageProcessor.Prepared image =
          prepared.computeIfAbsent(
              ImageDataset.source(example),
              source ->
                  images.prepare(
                      ImageDataset.bytes(example, ImageDataset.MAX_FILE_BYTES), example.name()));
      encoded.add(
          new Encoded(
              new Encoded.Image(
                  image.pixels(), image.height(), image.width(), config.maxPositions()),
              example.label()));
      if (encoded.size() % 64 == 0) {
        progress.report(Phase.LOAD, encoded.size(), examples.size());
      }
    }
    return encoded;
  }

  /**
   * Random windows of the corpus joined by a space, as SparseGPT draws calibration from WikiText-2
   * (datautils.py {@code get_wikitext2}: {@code " ".join(traindata['text'])}, tokenized once,
   * window start uniform in [0, T − tokens − 1]).
   */
  private List<Encoded> segments(
      DataSource data, Recipe.Segments recipe, DatasetReader.Limits limits, Progress progress) {
    long[] ids = corpusIds(data, " ", recipe.tokens(), limits, progress);
    Random random = new Random(recipe.seed());
    List<Encoded> windows = new ArrayList<>(recipe.segments());
    for (int i = 0; i < recipe.segments(); i++) {
      int start = random.nextInt(ids.length - recipe.tokens());
      windows.add(window(ids, start, recipe.tokens()));
    }
    rowsRead = windows.size(); // every window is used: nothing was sampled away
    return windows;
  }

  /**
   * Non-overlapping windows of the corpus joined by two newlines, the incomplete tail dropped, as
   * SparseGPT evaluates WikiText-2 (datautils.py {@code "\n\n".join(testdata['text'])}, llama.py
   * {@code nsamples = numel // seqlen}); every window is kept.
   */
  private List<Encoded> corpus(
      DataSource data, Recipe.Corpus recipe, DatasetReader.Limits limits, Progress progress) {
    long[] ids = corpusIds(data, "\n\n", recipe.tokens(), limits, progress);
    List<Encoded> windows = new ArrayList<>();
    for (int start = 0; start + recipe.tokens() <= ids.length; start += recipe.tokens()) {
      windows.add(window(ids, start, recipe.tokens()));
    }
    rowsRead = windows.size(); // every window is used: nothing was sampled away
    return windows;
  }

  private long[] corpusIds(
      DataSource data, String joiner, int tokens, DatasetReader.Limits limits, Progress progress) {
    if (tokens > config.maxPositions()) {
      throw new InvalidInputException(
          "tokens "
              + tokens
              + " is more than the model's "
              + config.maxPositions()
              + " positions (max_position_embeddings)");
    }
    List<String> texts = new ArrayList<>();
    for (Example example :
        DatasetReader.read(data.path(), data.name(), data.columns(), null, limits)) {
      texts.add(example.text());
    }
    progress.report(Phase.LOAD, 0, 1);
    long[] ids = tokenizer.encodeAll(String.join(joiner, texts), true).ids();
    progress.report(Phase.LOAD, 1, 1);
    if (ids.length <= tokens) {
      throw new InvalidInputException(
          "dataset "
              + data.name()
              + " joins to "
              + ids.length
              + " tokens: a window of "
              + tokens
              + " needs more; give more rows or fewer tokens");
    }
    return ids;
  }

  private static Encoded window(long[] ids, int start, int tokens) {
    return new Encoded(
        new TextTokenizer.Tokens(Arrays.copyOfRange(ids, start, start + tokens), new long[tokens]),
        null);
  }

  /** Rows a file had before {@link #sample} kept {@code cap} of them (set by the last read). */
  public int rowsRead() {
    return rowsRead;
  }

  private int rowsRead;

  /**
   * All of {@code rows}, or {@code cap} of them drawn with a fixed seed, in their original order.
   */
  private <T> List<T> sample(List<T> rows, int cap) {
    rowsRead = rows.size();
    if (rows.size() <= cap) {
      return rows;
    }
    List<Integer> indices = new ArrayList<>(IntStream.range(0, rows.size()).boxed().toList());
    Collections.shuffle(indices, new Random(SAMPLE_SEED));
    return indices.subList(0, cap).stream().sorted().map(rows::get).toList();
  }

  /** Seed of the sample of an oversized dataset (fixed: a rerun sees the same examples). */
  static final long SAMPLE_SEED = 20_251_129L;

  @Override
  public void close() {
    if (tokenizer != null) {
      tokenizer.close();
    }
  }
}
