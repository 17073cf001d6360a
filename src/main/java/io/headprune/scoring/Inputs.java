package io.headprune.scoring;

import io.headprune.checkpoint.Checkpoint;
import io.headprune.checkpoint.ChoiceDataset;
import io.headprune.checkpoint.DatasetReader;
import io.headprune.checkpoint.ImageDataset;
import io.headprune.checkpoint.ImageProcessor;
import io.headprune.checkpoint.ModelConfig;
import io.headprune.checkpoint.TextTokenizer;
import io.headprune.model.Architecture;
import io.headprune.model.Models;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

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

  /** Opens the tokenizer (truncating to {@code maxLength}) or the image processor of {@code checkpoint}. */
  public static Inputs open(Checkpoint checkpoint, int maxLength) {
    ModelConfig config = checkpoint.config();
    Architecture architecture = Models.architecture(config);
    if (architecture.modality() == Architecture.Modality.IMAGE) {
      return new Inputs(config, null, ImageProcessor.open(checkpoint.directory(), architecture.imageProcessors()));
    }
    return new Inputs(config, TextTokenizer.open(checkpoint.directory(), Math.min(maxLength, config.maxPositions())),
        null);
  }

  /** Every example of {@code data}, in file order. */
  public List<Encoded> read(Path data) {
    return read(data, DatasetReader.Limits.DEFAULT);
  }

  /** Every example of {@code data}, in file order, within {@code limits}. */
  public List<Encoded> read(Path data, DatasetReader.Limits limits) {
    if (tokenizer != null && config.languageModel() && ChoiceDataset.isChoiceDataset(data)) {
      return Encoded.ofChoices(tokenizer, ChoiceDataset.read(data, data.getFileName().toString(), limits));
    }
    if (tokenizer != null) {
      return Encoded.of(tokenizer, DatasetReader.read(data, config.labels(), limits));
    }
    List<ImageDataset.ImageExample> examples = ImageDataset.read(data, config.labels(), limits);
    List<Encoded> encoded = new ArrayList<>(examples.size());
    for (ImageDataset.ImageExample example : examples) {
      ImageProcessor.Prepared prepared =
          images.prepare(ImageDataset.bytes(example, ImageDataset.MAX_FILE_BYTES), example.name());
      encoded.add(new Encoded(
          new Encoded.Image(prepared.pixels(), prepared.height(), prepared.width(), config.maxPositions()),
          example.label()));
    }
    return encoded;
  }

  @Override
  public void close() {
    if (tokenizer != null) {
      tokenizer.close();
    }
  }
}
