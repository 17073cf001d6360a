package io.headprune.support;

import ai.djl.Device;
import io.headprune.checkpoint.Checkpoint;
import io.headprune.checkpoint.DatasetReader;
import io.headprune.checkpoint.TextTokenizer;
import io.headprune.model.HeadModel;
import io.headprune.model.Models;
import io.headprune.scoring.Encoded;
import java.nio.file.Path;
import java.util.List;

/** The tiny BERT fixture, loaded once per test class: model plus encoded calib and eval sets. */
public final class TinyBert implements AutoCloseable {

  public final HeadModel model;
  public final List<Encoded> calibration;
  public final List<Encoded> evaluation;

  private TinyBert(Path dir, boolean withEvaluation) {
    try (Checkpoint checkpoint = Models.open(dir);
        TextTokenizer tokenizer = TextTokenizer.open(dir, 64)) {
      model = Models.load(checkpoint, Device.cpu());
      var labels = checkpoint.config().labels();
      calibration = Encoded.of(tokenizer, DatasetReader.read(dir.resolve("calib.jsonl"), labels));
      evaluation =
          withEvaluation
              ? Encoded.of(tokenizer, DatasetReader.read(dir.resolve("eval.jsonl"), labels))
              : List.of();
    }
  }

  /** Loads a model directory that has only a calib.jsonl beside it. */
  public static TinyBert loadCalibration(Path dir) {
    return new TinyBert(dir, false);
  }

  /** Loads the unpruned fixture. */
  public static TinyBert load() {
    return new TinyBert(Fixtures.tinyBert(), true);
  }

  /** Loads a model directory with the fixture's calib and eval sets beside it. */
  public static TinyBert load(Path dir) {
    return new TinyBert(dir, true);
  }

  @Override
  public void close() {
    model.close();
  }
}
