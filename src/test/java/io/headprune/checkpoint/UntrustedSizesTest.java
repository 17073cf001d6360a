package io.headprune.checkpoint;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.headprune.model.Models;
import io.headprune.problem.InvalidInputException;
import io.headprune.progress.Progress;
import io.headprune.scoring.HeadScorer;
import io.headprune.support.Checkpoints;
import io.headprune.support.Fixtures;
import io.headprune.support.TinyBert;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * What an upload's checks refuse before the costly or native work starts: tokenizer sizes read from
 * the JSON, non-finite weights, token ids outside the vocabulary; and images named by many rows
 * decoded once.
 */
class UntrustedSizesTest {

  @TempDir Path dir;

  private Path tokenizer(Consumer<ObjectNode> edit) throws IOException {
    ObjectNode json =
        (ObjectNode)
            Json.MAPPER.readTree(Fixtures.resource("fixtures/tiny-gpt2/tokenizer.json").toFile());
    edit.accept(json);
    Path file = dir.resolve("tokenizer.json");
    Files.writeString(file, json.toString());
    return file;
  }

  @Test
  void publishedTokenizersAreWithinTheBounds() {
    assertThatCode(
            () ->
                TokenizerBounds.DEFAULT.check(
                    Fixtures.resource("fixtures/tiny-gpt2/tokenizer.json")))
        .doesNotThrowAnyException();
  }

  @Test
  void tooManyAddedTokensAreRefusedBeforeTheNativeLibrarySeesThem() throws IOException {
    // the probe's file had 200,000: the native build of that took 12 minutes
    Path file =
        tokenizer(
            json -> {
              ArrayNode added = (ArrayNode) json.get("added_tokens");
              for (int i = 0; i < 20_001; i++) {
                added.addObject().put("id", 1000 + i).put("content", "tok" + i);
              }
            });

    assertThatThrownBy(() -> HfTokenizer.open(file, 16))
        .isInstanceOf(InvalidInputException.class)
        .hasMessageContaining("more than 20000 entries in added_tokens");
  }

  @Test
  void smallBoundsNameEachField() throws IOException {
    TokenizerBounds small = new TokenizerBounds(10, 10, 10, 8);
    Path gpt2 = Fixtures.resource("fixtures/tiny-gpt2/tokenizer.json"); // 61 vocabulary entries
    assertThatThrownBy(() -> small.check(gpt2))
        .hasMessageContaining("more than 10 entries in model.vocab");
    Path merges =
        tokenizer(
            json -> {
              ArrayNode list = ((ObjectNode) json.get("model")).putArray("merges");
              for (int i = 0; i < 11; i++) {
                list.add("a b");
              }
            });
    assertThatThrownBy(() -> new TokenizerBounds(100, 10, 10, 8).check(merges))
        .hasMessageContaining("more than 10 entries in model.merges");
    Path regex =
        tokenizer(
            json ->
                json.putObject("pre_tokenizer")
                    .put("type", "Split")
                    .putObject("pattern")
                    .put("Regex", "(a+)+$(b+)+$"));
    assertThatThrownBy(() -> new TokenizerBounds(100, 10, 10, 8).check(regex))
        .hasMessageContaining("a regex of 12 characters at pre_tokenizer.pattern, more than 8");
  }

  @Test
  void aKeyGivenTwiceIsStillRefused() throws IOException {
    Path file = dir.resolve("tokenizer.json");
    Files.writeString(file, "{\"model\": {}, \"model\": {}}");

    assertThatThrownBy(() -> TokenizerBounds.DEFAULT.check(file))
        .isInstanceOf(InvalidInputException.class)
        .hasMessageContaining("not valid JSON")
        .hasMessageContaining("model");
  }

  @Test
  void nonFiniteWeightsAreFoundInEveryFloatFormat() {
    ByteBuffer f32 = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN);
    f32.putFloat(1f).putFloat(-3e38f).putFloat(Float.NEGATIVE_INFINITY).putFloat(0f).flip();
    assertThat(FiniteWeights.firstNonFinite(DType.F32, f32)).isEqualTo(2);
    ByteBuffer bf16 = ByteBuffer.allocate(6).order(ByteOrder.LITTLE_ENDIAN);
    bf16.putShort((short) 0x3f80).putShort((short) 0x7fc0).putShort((short) 0).flip(); // 1, NaN
    assertThat(FiniteWeights.firstNonFinite(DType.BF16, bf16)).isEqualTo(1);
    ByteBuffer f16 = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN);
    f16.putShort((short) 0x7bff).putShort((short) 0xfc00).flip(); // 65504, -inf
    assertThat(FiniteWeights.firstNonFinite(DType.F16, f16)).isEqualTo(1);
    ByteBuffer f64 = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN);
    f64.putDouble(Double.MAX_VALUE).putDouble(Double.NaN).flip();
    assertThat(FiniteWeights.firstNonFinite(DType.F64, f64)).isEqualTo(1);
    ByteBuffer finite = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
    finite.putFloat(Float.MAX_VALUE).putFloat(-Float.MIN_VALUE).flip();
    assertThat(FiniteWeights.firstNonFinite(DType.F32, finite)).isEqualTo(-1);
  }

  @Test
  void aCheckpointWithANanWeightIsRefusedNamingIt() {
    Path model = Fixtures.copy(Fixtures.tinyBert(), dir.resolve("nan"));
    String[] named = {null};
    Checkpoints.rewrite(
        model,
        tensor -> {
          if (named[0] == null && Checkpoints.isFloat32(tensor) && tensor.data().capacity() > 16) {
            named[0] = tensor.name();
            tensor.data().putFloat(12, Float.NaN); // element 3
          }
          return tensor;
        });
    try (Checkpoint checkpoint = Models.open(Fixtures.tinyBert())) {
      assertThatCode(() -> FiniteWeights.check(checkpoint)).doesNotThrowAnyException();
    }
    try (Checkpoint checkpoint = Models.open(model)) {
      assertThatThrownBy(() -> FiniteWeights.check(checkpoint))
          .isInstanceOf(InvalidInputException.class)
          .hasMessageContaining("weight '" + named[0] + "' holds NaN or an infinity (element 3 of");
    }
  }

  @Test
  void aPadTokenOutsideTheVocabularyIsRefusedByName() {
    Path model = Fixtures.copy(Fixtures.tinyBert(), dir.resolve("pad"));
    Checkpoints.editConfig(model, config -> config.put("pad_token_id", 1_000_000_000));

    assertThatThrownBy(() -> Models.open(model).close())
        .isInstanceOf(InvalidInputException.class)
        .hasMessageContaining("pad_token_id 1000000000 is not a token id of the vocabulary");
  }

  @Test
  void rowsNamingTheSameImageDecodeItOnce() {
    Path a = dir.resolve("a.png");
    Path b = dir.resolve("b.png");
    List<ImageDataset.ImageExample> rows = new ArrayList<>();
    for (int i = 0; i < 2000; i++) {
      rows.add(new ImageDataset.ImageExample(i % 1000 == 0 ? b : a, null, "row " + i, null));
    }
    rows.add(new ImageDataset.ImageExample(null, new byte[] {1, 2}, "inline", null));
    rows.add(new ImageDataset.ImageExample(null, new byte[] {1, 2}, "inline again", null));

    assertThat(ImageDataset.distinct(rows))
        .extracting(ImageDataset.ImageExample::name)
        .containsExactly("row 0", "row 1", "inline");
  }

  @Test
  void libraryClassNamesLeaveMessages() {
    assertThat(
            InvalidInputException.plain(
                "IOException reading next record: org.apache.commons.csv.CSVException: Invalid"
                    + " char between encapsulated token and delimiter at line: 2"))
        .isEqualTo(
            "IOException reading next record: Invalid char between encapsulated token and"
                + " delimiter at line: 2");
    assertThat(
            InvalidInputException.plain(
                "Cannot deserialize value of type `tools.jackson.databind.JsonNode` from Array"))
        .isEqualTo("Cannot deserialize value of type a value from Array");
    assertThat(InvalidInputException.plain("model.safetensors is 3 bytes"))
        .isEqualTo("model.safetensors is 3 bytes");
  }

  @Test
  void weightsThatOverflowGiveARefusalNotANanSelection() {
    // finite weights (3e38) that overflow float32 in the forward pass: every score would be NaN
    Path model = Fixtures.copy(Fixtures.tinyBert(), dir.resolve("huge"));
    Checkpoints.rewrite(
        model,
        tensor -> {
          if (Checkpoints.isFloat32(tensor) && tensor.name().contains("attention.self.query")) {
            for (int at = 0; at < tensor.data().capacity(); at += 4) {
              tensor.data().putFloat(at, 3e38f);
            }
          }
          return tensor;
        });
    try (Checkpoint checkpoint = Models.open(model)) {
      FiniteWeights.check(checkpoint); // every weight is finite
    }
    try (var bert = TinyBert.loadCalibration(model)) {
      assertThatThrownBy(() -> HeadScorer.score(bert.model, bert.calibration, 8, Progress.NONE))
          .isInstanceOf(InvalidInputException.class)
          .hasMessageContaining("activations are not finite on the calibration data");
    }
  }

  @Test
  void aHeaderDeclaringMoreTensorsThanTheBoundIsRefusedAsItStreams() throws IOException {
    // 200,001 one-byte tensors: a 12 MB header, read one entry at a time and refused at the bound
    int count = SafetensorsFile.MAX_TENSORS + 1;
    StringBuilder header = new StringBuilder("{");
    for (int i = 0; i < count; i++) {
      header
          .append(i == 0 ? "" : ",")
          .append("\"t")
          .append(i)
          .append("\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[")
          .append(i)
          .append(',')
          .append(i + 1)
          .append("]}");
    }
    byte[] json = header.append('}').toString().getBytes(StandardCharsets.UTF_8);
    ByteBuffer file = ByteBuffer.allocate(8 + json.length + count).order(ByteOrder.LITTLE_ENDIAN);
    file.putLong(json.length).put(json);
    Path path = Files.write(dir.resolve("many.safetensors"), file.array());

    assertThatThrownBy(() -> SafetensorsFile.open(path).close())
        .isInstanceOf(InvalidInputException.class)
        .hasMessageContaining("header declares more than 200000 tensors");
  }
}
