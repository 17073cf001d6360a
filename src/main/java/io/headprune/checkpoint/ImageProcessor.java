package io.headprune.checkpoint;

import io.headprune.problem.InvalidInputException;
import io.headprune.problem.UnsupportedModelException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * transformers' {@code ViTImageProcessor} (the PIL one), driven by {@code
 * preprocessor_config.json}: decode and orient ({@link ImageFiles}), resize with Pillow's algorithm
 * ({@link PilResize}), rescale {@code (float) (u8 · (double) factor)}, normalise {@code (x −
 * (float) mean[c]) / (float) std[c]} in float32, channels first.
 *
 * @param resize whether to resize ({@code do_resize})
 * @param height target height
 * @param width target width
 * @param filter Pillow's resample filter
 * @param rescale whether to rescale ({@code do_rescale})
 * @param rescaleFactor the factor
 * @param normalize whether to normalise ({@code do_normalize})
 * @param mean per channel
 * @param std per channel
 * @param maxPixels the largest image decoded
 */
public record ImageProcessor(
    boolean resize,
    int height,
    int width,
    PilResize.Filter filter,
    boolean rescale,
    double rescaleFactor,
    boolean normalize,
    double[] mean,
    double[] std,
    long maxPixels) {

  /** The file that configures it. */
  public static final String FILE = "preprocessor_config.json";

  /** Default bound on decoded pixels (a 8000 × 6000 photo). */
  public static final long MAX_PIXELS = 48_000_000L;

  public ImageProcessor {
    mean = mean.clone();
    std = std.clone();
  }

  /** One prepared image: the resized 8-bit RGB (H × W × 3) and the pixel values (3 × H × W). */
  public record Prepared(int[] resized, float[] pixels, int height, int width) {}

  /**
   * Reads {@code directory/preprocessor_config.json}; its processor type, when it names one, must
   * be among {@code processors} (those that resize, rescale and normalise only).
   */
  public static ImageProcessor open(Path directory, List<String> processors) {
    Path file = directory.resolve(FILE);
    if (!Files.isRegularFile(file)) {
      throw new InvalidInputException(
          "an image model directory needs " + FILE + "; this one has none");
    }
    try {
      JsonNode node = Json.parse(Files.readAllBytes(file), FILE);
      if (!node.isObject()) {
        throw new InvalidInputException(FILE + " is not a JSON object");
      }
      return parse((ObjectNode) node, processors);
    } catch (IOException e) {
      throw new InvalidInputException(
          "cannot read " + FILE + ": " + InvalidInputException.plain(e.getMessage()));
    }
  }

  /** Parses the settings with ViTImageProcessor's defaults. */
  static ImageProcessor parse(ObjectNode raw, List<String> processors) {
    JsonNode type =
        raw.has("image_processor_type")
            ? raw.get("image_processor_type")
            : raw.get("feature_extractor_type");
    if (type != null && !type.isNull() && !processors.contains(type.asString(""))) {
      throw new UnsupportedModelException(
          FILE + ": image processor '" + type.asString("") + "' is not supported " + processors);
    }
    if (raw.path("do_center_crop").asBoolean(false)) {
      throw new UnsupportedModelException(
          FILE + ": do_center_crop is not supported (resize, rescale and normalise only)");
    }
    int height = 224;
    int width = 224;
    JsonNode size = raw.get("size");
    if (size != null && size.isIntegralNumber()) {
      height = width = dimension(size, "size");
    } else if (size != null && size.isObject() && size.has("height") && size.has("width")) {
      height = dimension(size.get("height"), "size.height");
      width = dimension(size.get("width"), "size.width");
    } else if (size != null) {
      throw new InvalidInputException(
          FILE + ": size must be {\"height\": h, \"width\": w} or an integer");
    }
    int resample = raw.path("resample").asInt(2);
    if (raw.has("resample") && !raw.get("resample").isIntegralNumber()
        || resample < 2
        || resample > 3) {
      throw new UnsupportedModelException(
          FILE
              + ": resample "
              + raw.get("resample")
              + " is not supported (2 = bilinear, 3 = bicubic)");
    }
    double factor = raw.path("rescale_factor").asDouble(1 / 255.0);
    if (!Double.isFinite(factor) || factor <= 0) {
      throw new InvalidInputException(FILE + ": rescale_factor must be a positive number");
    }
    double[] std = three(raw.get("image_std"), "image_std");
    for (double s : std) {
      if (s == 0 || !Double.isFinite(s)) {
        throw new InvalidInputException(FILE + ": image_std must be finite and non-zero");
      }
    }
    return new ImageProcessor(
        raw.path("do_resize").asBoolean(true),
        height,
        width,
        resample == 3 ? PilResize.Filter.BICUBIC : PilResize.Filter.BILINEAR,
        raw.path("do_rescale").asBoolean(true),
        factor,
        raw.path("do_normalize").asBoolean(true),
        three(raw.get("image_mean"), "image_mean"),
        std,
        MAX_PIXELS);
  }

  private static int dimension(JsonNode value, String key) {
    if (!value.isIntegralNumber() || value.asLong() < 1 || value.asLong() > 8192) {
      throw new InvalidInputException(FILE + ": " + key + " must be an integer in [1, 8192]");
    }
    return value.asInt();
  }

  private static double[] three(JsonNode value, String key) {
    if (value == null || value.isNull()) {
      return new double[] {0.5, 0.5, 0.5};
    }
    if (value.isNumber()) {
      return new double[] {value.asDouble(), value.asDouble(), value.asDouble()};
    }
    if (!value.isArray()
        || value.size() != 3
        || !value.get(0).isNumber()
        || !value.get(1).isNumber()
        || !value.get(2).isNumber()) {
      throw new InvalidInputException(FILE + ": " + key + " must be a number or 3 numbers");
    }
    return new double[] {value.get(0).asDouble(), value.get(1).asDouble(), value.get(2).asDouble()};
  }

  /** The image size the pixel values have. */
  public int[] outputSize(ImageFiles.Rgb image) {
    return resize ? new int[] {height, width} : new int[] {image.height(), image.width()};
  }

  /** Decodes and prepares one image file's bytes. */
  public Prepared prepare(byte[] bytes, String name) {
    return prepare(ImageFiles.read(bytes, name, maxPixels));
  }

  /** Prepares a decoded image. */
  public Prepared prepare(ImageFiles.Rgb image) {
    int[] resized =
        resize
            ? PilResize.resize(image.pixels(), image.height(), image.width(), height, width, filter)
            : image.pixels();
    int[] size = outputSize(image);
    int plane = size[0] * size[1];
    float[] pixels = new float[3 * plane];
    for (int i = 0; i < plane; i++) {
      for (int c = 0; c < 3; c++) {
        float x = rescale ? (float) (resized[i * 3 + c] * rescaleFactor) : resized[i * 3 + c];
        if (normalize) {
          x = (x - (float) mean[c]) / (float) std[c];
        }
        pixels[c * plane + i] = x;
      }
    }
    return new Prepared(resized, pixels, size[0], size[1]);
  }
}
