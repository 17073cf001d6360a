package io.headprune.support;

import ai.djl.Device;
import io.headprune.checkpoint.Checkpoint;
import io.headprune.model.HeadModel;
import io.headprune.model.Models;
import io.headprune.scoring.Encoded;
import io.headprune.scoring.Inputs;
import java.nio.file.Path;
import java.util.List;

/**
 * The tiny ViT fixture (3 layers × 4 heads, 16 × 16 images), loaded with its calib and eval sets.
 */
public final class TinyVit implements AutoCloseable {

  public final HeadModel model;
  public final List<Encoded> calibration;
  public final List<Encoded> evaluation;

  private TinyVit(Path dir, Path data) {
    try (Checkpoint checkpoint = Models.open(dir);
        Inputs inputs = Inputs.open(checkpoint, 128)) {
      model = Models.load(checkpoint, Device.cpu());
      calibration = inputs.read(data.resolve("calib.jsonl"));
      evaluation = inputs.read(data.resolve("eval.jsonl"));
    }
  }

  /** The fixture directory. */
  public static Path directory() {
    return Fixtures.resource("fixtures/tiny-vit-shapes");
  }

  /** Loads the fixture. */
  public static TinyVit load() {
    return new TinyVit(directory(), directory());
  }

  /** Loads another model directory (e.g. a pruned/ output) with the fixture's images. */
  public static TinyVit load(Path model) {
    return new TinyVit(model, directory());
  }

  @Override
  public void close() {
    model.close();
  }
}
