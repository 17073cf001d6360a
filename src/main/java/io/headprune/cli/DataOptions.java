package io.headprune.cli;

import io.headprune.checkpoint.Columns;
import io.headprune.checkpoint.DataSource;
import io.headprune.checkpoint.DatasetReader;
import io.headprune.checkpoint.Labels;
import io.headprune.checkpoint.Recipe;
import io.headprune.hub.HubClient;
import io.headprune.hub.HubSettings;
import io.headprune.hub.HubSnapshot;
import io.headprune.problem.InvalidInputException;
import io.headprune.storage.ArtifactStore;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Models and data as the command line names them: a local path, or {@code hub:org/name[@revision]}
 * for a model and {@code hub:datasets/org/name[@revision]} for a dataset (its config and split
 * found as datasets.load_dataset finds them; the Hub client reads HF_ENDPOINT, HF_TOKEN, HF_HOME
 * and HF_HUB_OFFLINE as huggingface_hub does).
 */
final class DataOptions {

  private static final Pattern HUB_MODEL =
      Pattern.compile("hub:([A-Za-z0-9][A-Za-z0-9._-]*(?:/[A-Za-z0-9][A-Za-z0-9._-]*)?)(?:@(.+))?");
  private static final Pattern HUB_DATASET =
      Pattern.compile(
          "hub:datasets/([A-Za-z0-9][A-Za-z0-9._-]*(?:/[A-Za-z0-9][A-Za-z0-9._-]*)?)(?:@(.+))?");

  /** Rows read of a Hub split unless --rows says otherwise (as a job's default). */
  static final int DEFAULT_ROWS = 10_000;

  private DataOptions() {}

  /**
   * How one dataset is named on the command line.
   *
   * @param spec a path or hub:datasets/org/name[@revision]
   * @param config the Hub config (null: the default)
   * @param split the Hub split
   * @param rows rows read of a Hub split (null: {@link #DEFAULT_ROWS})
   * @param columns field=column pairs, or null
   * @param recipe examples, segments or corpus (null: examples)
   * @param segments with segments: how many
   * @param tokens with segments or corpus: tokens per window (null: maxLength)
   * @param seed with segments: the draw's seed
   * @param task an lm-evaluation-harness task, or null
   */
  record Spec(
      Path spec,
      String config,
      String split,
      Integer rows,
      String columns,
      String recipe,
      int segments,
      Integer tokens,
      long seed,
      String task) {}

  /** Where HF_ENDPOINT, HF_TOKEN, HF_HOME… are read (the process environment; tests set one). */
  static Supplier<Map<String, String>> environment = System::getenv;

  /** The Hub client of this process, from the environment. */
  static HubClient hub() {
    return new HubClient(HubSettings.fromEnvironment(environment.get()));
  }

  /** A model directory: the path, or a Hub snapshot downloaded into the cache. */
  static Path model(Path spec) {
    return modelSource(spec).directory();
  }

  /**
   * A model as a pruned model's card names it.
   *
   * @param directory where its files are
   * @param name the Hub id (org/name), or the local directory's name
   * @param commit the Hub commit, or null for a local directory
   */
  record ModelSource(Path directory, String name, String commit) {}

  /** The model {@code spec} names: a local directory, or a Hub snapshot downloaded. */
  static ModelSource modelSource(Path spec) {
    Matcher hub = HUB_MODEL.matcher(spec.toString());
    if (spec.toString().startsWith("hub:datasets/") || !hub.matches()) {
      if (spec.toString().startsWith("hub:")) {
        throw new InvalidInputException(
            "--model '" + spec + "' is not hub:org/name or hub:org/name@revision");
      }
      Path file = spec.toAbsolutePath().normalize().getFileName();
      return new ModelSource(spec, file == null ? spec.toString() : file.toString(), null);
    }
    HubSnapshot snapshot = hub().model(hub.group(1), hub.group(2) == null ? "main" : hub.group(2));
    return new ModelSource(snapshot.directory(), hub.group(1), snapshot.commit());
  }

  /**
   * The dataset a spec names, read with its columns and recipe; a Hub split's label names are
   * checked against {@code labels} unless {@code byIndex}.
   */
  static DataSource data(Spec spec, int maxLength, Labels labels, boolean byIndex) {
    if (spec == null || spec.spec() == null) {
      return null;
    }
    Columns columns = Columns.parse(spec.columns());
    Recipe recipe = recipe(spec, maxLength);
    Matcher hub = HUB_DATASET.matcher(spec.spec().toString());
    if (!hub.matches()) {
      if (spec.spec().toString().startsWith("hub:")) {
        throw new InvalidInputException(
            "'" + spec.spec() + "' is not hub:datasets/org/name or hub:datasets/org/name@revision");
      }
      if (spec.config() != null || spec.split() != null || spec.rows() != null) {
        throw new InvalidInputException("--config, --split and --rows apply to hub: datasets");
      }
      Path path = spec.spec();
      return new DataSource(path, path.getFileName().toString(), columns, recipe);
    }
    String repo = hub.group(1);
    int rows = spec.rows() == null ? DEFAULT_ROWS : spec.rows();
    HubClient.Split split =
        hub()
            .datasetSplit(
                repo,
                hub.group(2) == null ? "main" : hub.group(2),
                spec.config(),
                spec.split() == null ? "train" : spec.split(),
                rows,
                Long.MAX_VALUE,
                DatasetReader.Limits.DEFAULT);
    Path directory;
    try {
      directory = Files.createTempDirectory("headprune-split-");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    Runtime.getRuntime().addShutdownHook(new Thread(() -> ArtifactStore.delete(directory)));
    split.materialize(directory.resolve("split"), rows);
    List<String> names = split.labelNames().get(columns.source("label"));
    if (labels != null && names != null && !byIndex) {
      labels.checkNames(
          names, "datasets/" + repo + " (" + split.config() + "/" + split.split() + ")");
    }
    return new DataSource(
            directory.resolve("split"),
            "datasets/" + repo + "/" + split.config() + "/" + split.split(),
            columns,
            recipe)
        .fromHub(repo);
  }

  private static Recipe recipe(Spec spec, int maxLength) {
    return Recipe.of(
        spec.recipe(),
        "segments".equals(spec.recipe()) ? spec.segments() : null,
        spec.tokens(),
        "segments".equals(spec.recipe()) ? spec.seed() : null,
        spec.task(),
        maxLength);
  }
}
