package io.headprune.checkpoint;

import static org.assertj.core.api.Assertions.assertThat;

import io.headprune.model.Vit;
import io.headprune.support.Fixtures;
import io.headprune.support.TinyVit;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Map;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * Every image of the ViT fixture prepared exactly as the reference (transformers' ViTImageProcessor
 * on Pillow) prepares it: the sha256 of the resized 8-bit RGB bytes and of the float32 pixel
 * values, per image, from the fixture's expected_outputs.json. The images come in RGB, L, RGBA and
 * P modes and in sizes that need up- and downscaling.
 */
class ImageProcessorTest {

  private static final Path DIR = TinyVit.directory();

  @Test
  void everyImageIsResizedAndNormalisedToTheReferencesLastBit() throws Exception {
    ImageProcessor processor = ImageProcessor.open(DIR, Vit.ARCHITECTURE.imageProcessors());
    JsonNode checksums =
        Fixtures.json("fixtures/tiny-vit-shapes/expected_outputs.json").get("image_checksums");
    int checked = 0;
    for (Map.Entry<String, JsonNode> entry : checksums.properties()) {
      String image = entry.getKey();
      ImageProcessor.Prepared prepared =
          processor.prepare(Files.readAllBytes(DIR.resolve(image)), image);
      byte[] resized = new byte[prepared.resized().length];
      for (int i = 0; i < resized.length; i++) {
        resized[i] = (byte) prepared.resized()[i];
      }
      ByteBuffer pixels =
          ByteBuffer.allocate(prepared.pixels().length * 4).order(ByteOrder.LITTLE_ENDIAN);
      for (float value : prepared.pixels()) {
        pixels.putFloat(value);
      }
      assertThat(sha256(resized))
          .as("resized bytes of %s", image)
          .isEqualTo(entry.getValue().get("resized_uint8_hwc_sha256").asString());
      assertThat(sha256(pixels.array()))
          .as("pixel values of %s", image)
          .isEqualTo(entry.getValue().get("pixel_values_f32le_chw_sha256").asString());
      checked++;
    }
    assertThat(checked).isEqualTo(128 + 256);
  }

  @Test
  void theSampledImagesEqualTheReferencesValues() throws Exception {
    ImageProcessor processor = ImageProcessor.open(DIR, Vit.ARCHITECTURE.imageProcessors());
    for (JsonNode sample :
        Fixtures.json("fixtures/tiny-vit-shapes/expected_outputs.json").get("preprocessing")) {
      String image = sample.get("image").asString();
      ImageProcessor.Prepared prepared =
          processor.prepare(Files.readAllBytes(DIR.resolve(image)), image);
      JsonNode rows = sample.get("resized_uint8_hwc");
      for (int y = 0; y < rows.size(); y++) {
        for (int x = 0; x < rows.get(y).size(); x++) {
          for (int c = 0; c < 3; c++) {
            assertThat(prepared.resized()[(y * 16 + x) * 3 + c])
                .as("%s at (%d, %d, %d)", image, y, x, c)
                .isEqualTo(rows.get(y).get(x).get(c).asInt());
          }
        }
      }
    }
  }

  @Test
  void pillowsResizeOfAKnownRowMatchesByHand() {
    // one row 0, 255 upscaled to 4 pixels by the triangle filter: centres 0.25, 0.75, 1.25, 1.75
    int[] row = {0, 0, 0, 255, 255, 255};
    int[] out = PilResize.resize(row, 1, 2, 1, 4, PilResize.Filter.BILINEAR);
    assertThat(new int[] {out[0], out[3], out[6], out[9]}).containsExactly(0, 64, 191, 255);
  }

  @Test
  void exifOrientationsTurnTheImageAsPillowDoes() {
    // 2 × 3 image whose pixels are numbered 0..5 row by row (as grey levels)
    int[] pixels = new int[18];
    for (int i = 0; i < 6; i++) {
      pixels[i * 3] = pixels[i * 3 + 1] = pixels[i * 3 + 2] = i;
    }
    ImageFiles.Rgb image = new ImageFiles.Rgb(pixels, 2, 3);
    assertThat(firstChannel(ImageFiles.orient(image, 6)))
        .containsExactly(3, 0, 4, 1, 5, 2); // 90° clockwise
    assertThat(firstChannel(ImageFiles.orient(image, 8)))
        .containsExactly(2, 5, 1, 4, 0, 3); // 90° counter-clockwise
    assertThat(firstChannel(ImageFiles.orient(image, 3))).containsExactly(5, 4, 3, 2, 1, 0);
    assertThat(firstChannel(ImageFiles.orient(image, 2))).containsExactly(2, 1, 0, 5, 4, 3);
    assertThat(ImageFiles.orient(image, 6).height()).isEqualTo(3);
  }

  private static int[] firstChannel(ImageFiles.Rgb image) {
    int[] out = new int[image.pixels().length / 3];
    for (int i = 0; i < out.length; i++) {
      out[i] = image.pixels()[i * 3];
    }
    return out;
  }

  private static String sha256(byte[] bytes) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
  }
}
