package io.headprune.scoring;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import io.headprune.checkpoint.Checkpoint;
import io.headprune.checkpoint.DType;
import io.headprune.checkpoint.SafetensorsFile;
import io.headprune.checkpoint.SafetensorsWriter;
import io.headprune.checkpoint.TensorInfo;
import io.headprune.model.Decoder;
import io.headprune.model.Devices;
import io.headprune.model.HeadModel;
import io.headprune.model.MemoryBudget;
import io.headprune.model.Models;
import io.headprune.model.Placement;
import io.headprune.progress.Progress;
import io.headprune.support.Fixtures;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Big models in small memory, on the Llama fixture: a budget smaller than the model's float32
 * weights still scores it (its layers streamed) as the resident model does; BF16 weights widened
 * layer by layer score exactly as float32 weights holding the same BF16-rounded values, and within
 * BF16's precision of the float32 original.
 */
class LayerStreamingTest {

  private static final Path LLAMA = Fixtures.resource("fixtures/tiny-llama-gqa");

  @TempDir Path dir;

  @Test
  void aBudgetSmallerThanTheModelStillScoresItWithItsLayersStreamed() {
    try (Checkpoint checkpoint = Models.open(LLAMA);
        Inputs inputs = Inputs.open(checkpoint, 128)) {
      MemoryBudget.Footprint footprint = MemoryBudget.Footprint.of(checkpoint);
      long weights = 4 * footprint.parameters();
      // between two layers and everything outside them, and the whole model, in float32
      MemoryBudget budget = new MemoryBudget((footprint.streamed() + weights) / 2, 0);
      assertThat(budget.bytes()).isLessThan(weights);
      List<Encoded> examples = inputs.read(LLAMA.resolve("calib.jsonl"));
      RawScores expected;
      try (HeadModel resident =
          Models.load(checkpoint, Device.cpu(), new MemoryBudget(weights * 2, 0))) {
        assertThat(resident.streaming()).isNull();
        expected = HeadScorer.score(resident, examples, 4, Progress.NONE);
      }
      try (HeadModel small = Models.load(checkpoint, Device.cpu(), budget)) {
        assertThat(small.streaming()).as("streamed within the budget").isNotNull();
        assertClose(expected, HeadScorer.score(small, examples, 4, Progress.NONE), 1e-5);
      }
    }
  }

  @Test
  void bf16WeightsStreamedScoreAsTheirFloat32ValuesAndWithinBf16PrecisionOfTheOriginal()
      throws IOException {
    Path bf16 = copy(LLAMA, dir.resolve("bf16"), DType.BF16);
    Path rounded = copy(LLAMA, dir.resolve("rounded"), DType.F32);
    RawScores original = score(LLAMA, false);
    RawScores streamed = score(bf16, true);
    assertClose(score(rounded, false), streamed, 1e-5);
    assertClose(original, streamed, 5e-2);
    double largest = 0;
    for (int l = 0; l < original.his().length; l++) {
      for (int h = 0; h < original.his()[l].length; h++) {
        largest = Math.max(largest, Math.abs(original.his()[l][h] - streamed.his()[l][h]));
      }
    }
    assertThat(largest).as("the BF16 copy's weights differ from the original's").isPositive();
  }

  @Test
  void rescalingFitsTheSameScalesWithTheLayersStreamed() {
    try (Checkpoint checkpoint = Models.open(LLAMA);
        Inputs inputs = Inputs.open(checkpoint, 64);
        HeadModel resident = Models.load(checkpoint, Device.cpu());
        HeadModel streamed = Models.loadStreamed(checkpoint, Device.cpu())) {
      List<Encoded> calibration = inputs.read(LLAMA.resolve("calib.jsonl"));
      int[][] heads = resident.heads();
      Set<HeadRef> off = new HashSet<>();
      for (int l = 0; l < heads.length; l++) {
        for (int h = 0; h < 4; h++) { // the first key/value group of each layer
          off.add(new HeadRef(l, heads[l][h]));
        }
      }
      ScaledHeads expected = Rescaling.fit(resident, calibration, off, 8);
      ScaledHeads actual = Rescaling.fit(streamed, calibration, off, 8);
      for (int l = 0; l < heads.length; l++) {
        for (int h = 0; h < heads[l].length; h++) {
          double scale = expected.scale(l, h);
          assertThat(actual.scale(l, h))
              .as("scale %d.%d", l, h)
              .isCloseTo(scale, Offset.offset(1e-5 * Math.abs(scale) + 1e-9));
        }
      }
      assertThat(expected.scale(0, 5)).as("kept heads are rescaled").isNotEqualTo(1.0);
    }
  }

  /**
   * A job on two devices ({@code cpu+cpu} here: the same memory, so what is checked is the
   * placement's wiring — each layer's weights loaded by its device's loader, the shared tables per
   * device, the head on the last layer's device, contexts handed back — not a copy between devices,
   * which needs two GPUs): resident and streamed, the scores and the rescaling are the one-device
   * model's.
   */
  @Test
  void layersPlacedAcrossTwoDevicesScoreAndRescaleAsOnOne() {
    Device two = Devices.parse("cpu+cpu");
    try (Checkpoint checkpoint = Models.open(LLAMA);
        Inputs inputs = Inputs.open(checkpoint, 64);
        HeadModel one = Models.load(checkpoint, Device.cpu());
        HeadModel placed = Models.load(checkpoint, two);
        HeadModel streamed = Models.loadStreamed(checkpoint, two)) {
      int layers = one.heads().length;
      assertThat(((Decoder) placed).placement().layersPerDevice())
          .as("resident, balanced by bytes")
          .doesNotContain(0)
          .hasSize(2);
      assertThat(((Decoder) streamed).placement())
          .isEqualTo(Placement.streamed(two.getDevices(), layers));
      assertThat(placed.streaming()).isNull();
      List<Encoded> examples = inputs.read(LLAMA.resolve("calib.jsonl"));
      Set<HeadRef> off = Set.of(new HeadRef(layers - 1, 1));
      RawScores expected = HeadScorer.score(one, examples, 4, off, Progress.NONE);
      assertClose(expected, HeadScorer.score(placed, examples, 4, off, Progress.NONE), 1e-5);
      assertClose(expected, HeadScorer.score(streamed, examples, 4, off, Progress.NONE), 1e-5);
      ScaledHeads scales = Rescaling.fit(one, examples, off, 8);
      for (HeadModel model : List.of(placed, streamed)) {
        ScaledHeads actual = Rescaling.fit(model, examples, off, 8);
        for (int l = 0; l < layers; l++) {
          for (int h = 0; h < one.heads()[l].length; h++) {
            assertThat(actual.scale(l, h))
                .as("scale %d.%d", l, h)
                .isCloseTo(
                    scales.scale(l, h), Offset.offset(1e-5 * Math.abs(scales.scale(l, h)) + 1e-9));
          }
        }
      }
    }
  }

  private static RawScores score(Path model, boolean streamed) {
    try (Checkpoint checkpoint = Models.open(model);
        HeadModel loaded =
            streamed
                ? Models.loadStreamed(checkpoint, Device.cpu())
                : Models.load(checkpoint, Device.cpu());
        Inputs inputs = Inputs.open(checkpoint, 128)) {
      assertThat(loaded.streaming() != null).isEqualTo(streamed);
      return HeadScorer.score(loaded, inputs.read(model.resolve("calib.jsonl")), 4, Progress.NONE);
    }
  }

  /** HIS and entropy of every head within {@code relative}. */
  private static void assertClose(RawScores expected, RawScores actual, double relative) {
    for (int l = 0; l < expected.his().length; l++) {
      for (int h = 0; h < expected.his()[l].length; h++) {
        double his = expected.his()[l][h];
        double entropy = expected.entropy()[l][h];
        assertThat(actual.his()[l][h])
            .as("HIS %d.%d", l, h)
            .isCloseTo(his, Offset.offset(relative * Math.abs(his) + 1e-12));
        assertThat(actual.entropy()[l][h])
            .as("AE %d.%d", l, h)
            .isCloseTo(entropy, Offset.offset(relative * Math.abs(entropy) + 1e-12));
      }
    }
  }

  /**
   * {@code source} with every float32 weight rounded to BF16 (nearest, ties to even), stored as
   * {@code dtype}: BF16 itself, or float32 holding the rounded values.
   */
  private static Path copy(Path source, Path target, DType dtype) throws IOException {
    Files.createDirectories(target);
    try (var files = Files.list(source)) {
      for (Path file : files.toList()) {
        if (!file.toString().endsWith(".safetensors")) {
          Files.copy(file, target.resolve(file.getFileName()));
          continue;
        }
        try (SafetensorsFile in = SafetensorsFile.open(file)) {
          List<SafetensorsWriter.Tensor> tensors = new ArrayList<>();
          for (TensorInfo info : in.tensors().values()) {
            assertThat(info.dtype()).isEqualTo(DType.F32);
            ByteBuffer from = in.bytes(info.name()).order(ByteOrder.LITTLE_ENDIAN);
            int count = (int) info.elements();
            ByteBuffer to =
                ByteBuffer.allocate(count * dtype.bytes()).order(ByteOrder.LITTLE_ENDIAN);
            for (int i = 0; i < count; i++) {
              int bits = Float.floatToRawIntBits(from.getFloat());
              int upper = (bits + 0x7FFF + ((bits >>> 16) & 1)) >>> 16; // nearest, ties to even
              if (dtype == DType.BF16) {
                to.putShort((short) upper);
              } else {
                to.putInt(upper << 16);
              }
            }
            tensors.add(new SafetensorsWriter.Tensor(info.name(), dtype, info.shape(), to.flip()));
          }
          SafetensorsWriter.write(target.resolve(file.getFileName()), tensors);
        }
      }
    }
    return target;
  }
}
