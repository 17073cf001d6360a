package io.headprune.checkpoint;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.headprune.problem.InvalidInputException;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import tools.jackson.databind.JsonNode;

/**
 * The data formats, on files written by independent writers (tools/data_fixtures.sh:
 * hyparquet-writer, Python's csv and json, gzip, zstd): every format gives the same examples as the
 * JSON Lines they were made from.
 */
class TablesTest {

  private static final Path DATA = Path.of("src/test/resources/data");
  private static final Path ORDER = Path.of("src/test/resources/fixtures/tiny-bert-order");
  private static final Labels LABELS =
      new Labels(
          2, Map.of(0, "dog_first", 1, "cat_first"), Map.of("dog_first", 0, "cat_first", 1), null);

  @TempDir Path dir;

  /** The first 40 evaluation rows of tiny-bert-order, which every text fixture holds. */
  private static List<Example> expected() {
    return DatasetReader.read(ORDER.resolve("eval.jsonl"), LABELS).subList(0, 40);
  }

  @ParameterizedTest
  @ValueSource(strings = {"order.tsv", "order-array.json", "order-data.json", "order.jsonl.gz"})
  void everyFormatGivesTheSameExamples(String file) {
    List<Example> read =
        DatasetReader.read(
            DATA.resolve(file),
            file,
            new Columns(Map.of("text", "sentence")),
            LABELS,
            DatasetReader.Limits.DEFAULT);
    assertThat(read).isEqualTo(expected());
  }

  @Test
  void quotedCsvKeepsEmbeddedNewlinesAndQuotesAndReadsCompressed() {
    Columns columns = new Columns(Map.of("text", "sentence", "label", "verdict"));
    List<Example> plain =
        DatasetReader.read(
            DATA.resolve("order-quoted.csv"),
            "order-quoted.csv",
            columns,
            LABELS,
            DatasetReader.Limits.DEFAULT);
    List<Example> zst =
        DatasetReader.read(
            DATA.resolve("order-quoted.csv.zst"),
            "order-quoted.csv.zst",
            columns,
            LABELS,
            DatasetReader.Limits.DEFAULT);
    assertThat(zst).isEqualTo(plain);
    List<Example> expected = expected();
    assertThat(plain).hasSize(40);
    assertThat(plain.get(0).text()).isEqualTo(expected.get(0).text() + "\n" + " \"quoted\", too");
    assertThat(plain.get(1).text()).isEqualTo(expected.get(1).text());
    assertThat(plain.get(10).text()).isEqualTo(expected.get(10).text() + "\n");
    assertThat(plain.stream().map(Example::label).toList())
        .isEqualTo(expected.stream().map(Example::label).toList());
  }

  @Test
  void parquetShardsAreReadWithTheirRowGroupsInOrder() throws IOException {
    Path split = dir.resolve("split");
    Files.createDirectories(split);
    Files.copy(DATA.resolve("order-train-00000-of-00002.parquet"), split.resolve("a.parquet"));
    Files.copy(DATA.resolve("order-train-00001-of-00002.parquet"), split.resolve("b.parquet"));
    Files.writeString(
        split.resolve(Tables.MANIFEST), "{\"files\": [\"a.parquet\", \"b.parquet\"]}");
    List<Example> read =
        DatasetReader.read(
            split,
            "split",
            new Columns(Map.of("text", "sentence")),
            LABELS,
            DatasetReader.Limits.DEFAULT);
    assertThat(read)
        .isEqualTo(DatasetReader.read(ORDER.resolve("calib.jsonl"), LABELS).subList(0, 192));
    assertThat(
            Tables.rowCount(
                DATA.resolve("order-validation.parquet"),
                "v.parquet",
                DatasetReader.Limits.DEFAULT))
        .isEqualTo(64);
  }

  @Test
  void nestedParquetColumnsKeepListsStructsAndBytes() throws IOException {
    JsonNode arc =
        Tables.firstRow(
            DATA.resolve("arc-like.parquet"), "arc.parquet", DatasetReader.Limits.DEFAULT);
    assertThat(arc.path("choices").path("label").toString()).isEqualTo("[\"A\",\"B\",\"C\",\"D\"]");
    assertThat(arc.path("answerKey").stringValue()).isEqualTo("A");
    List<ChoiceDataset.ChoiceExample> items =
        ChoiceDataset.read(
            DATA.resolve("hellaswag-like.parquet"),
            "hs.parquet",
            new Columns(Map.of("context", "ctx", "choices", "endings")),
            DatasetReader.Limits.DEFAULT);
    assertThat(items)
        .isEqualTo(
            ChoiceDataset.read(
                Path.of("src/test/resources/fixtures/tiny-gpt2/eval-choices.jsonl"),
                "c.jsonl",
                DatasetReader.Limits.DEFAULT));
    List<ImageDataset.ImageExample> images =
        ImageDataset.read(
            DATA.resolve("images-like.parquet"),
            "img.parquet",
            new Columns(Map.of("image", "img")),
            new Labels(
                3,
                Map.of(0, "red", 1, "green", 2, "blue"),
                Map.of("red", 0, "green", 1, "blue", 2),
                null),
            DatasetReader.Limits.DEFAULT);
    Path vit = Path.of("src/test/resources/fixtures/random-vit-2x6");
    assertThat(images).hasSize(8);
    assertThat(ImageDataset.bytes(images.get(0), 1 << 20))
        .isEqualTo(Files.readAllBytes(vit.resolve("images/c000.png")));
    assertThat(images.get(1).label()).isEqualTo(0.0); // "red"
  }

  @Test
  void aMappedColumnTheFileLacksIsNamedWithTheColumnsItHas() {
    assertThatThrownBy(
            () ->
                DatasetReader.read(
                    DATA.resolve("order.tsv"),
                    "order.tsv",
                    new Columns(Map.of("text", "premise")),
                    LABELS,
                    DatasetReader.Limits.DEFAULT))
        .isInstanceOf(InvalidInputException.class)
        .hasMessageContaining("order.tsv:2: column 'premise' (mapped to text) is not in the data")
        .hasMessageContaining("[sentence, label]");
    assertThatThrownBy(
            () ->
                DatasetReader.read(
                    DATA.resolve("order-validation.parquet"),
                    "v.parquet",
                    Columns.NONE,
                    LABELS,
                    DatasetReader.Limits.DEFAULT))
        .hasMessageContaining("v.parquet:1: \"text\" is missing")
        .hasMessageContaining("[idx, sentence, label]")
        .hasMessageContaining("map yours with \"columns\"");
  }

  @Test
  void boundsAreCheckedWhileReading() throws IOException {
    Columns columns = new Columns(Map.of("text", "sentence"));
    assertThatThrownBy(
            () ->
                DatasetReader.read(
                    DATA.resolve("order-validation.parquet"),
                    "v.parquet",
                    columns,
                    LABELS,
                    new DatasetReader.Limits(10, 1 << 20)))
        .hasMessageContaining("dataset v.parquet has more than 10 rows");
    assertThatThrownBy(
            () ->
                DatasetReader.read(
                    DATA.resolve("order-array.json"),
                    "a.json",
                    columns,
                    LABELS,
                    new DatasetReader.Limits(100, 40)))
        .hasMessageContaining("a.json:1: a value is longer than 40 characters");
    // a gzip bomb: 64 MB of one character in 64 KB, refused once decompression passes the bound
    Path bomb = dir.resolve("bomb.jsonl.gz");
    try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(bomb))) {
      byte[] block = new byte[1 << 20];
      Arrays.fill(block, (byte) ' ');
      for (int i = 0; i < 64; i++) {
        out.write(block);
      }
    }
    assertThat(Files.size(bomb)).isLessThan(1 << 17);
    assertThatThrownBy(
            () ->
                DatasetReader.read(
                    bomb,
                    "bomb.jsonl.gz",
                    Columns.NONE,
                    LABELS,
                    new DatasetReader.Limits(100, 1 << 30, 1 << 20)))
        .hasMessageContaining("bomb.jsonl.gz holds more than 1048576 bytes once decompressed");
  }

  @Test
  void brokenFilesAreNamed() throws IOException {
    Path parquet =
        Files.write(dir.resolve("x.parquet"), "PAR1 not really".getBytes(StandardCharsets.UTF_8));
    assertThatThrownBy(() -> Tables.rowCount(parquet, "x.parquet", DatasetReader.Limits.DEFAULT))
        .isInstanceOf(InvalidInputException.class)
        .hasMessageStartingWith("x.parquet is not a readable Parquet file");
    Path gz = Files.writeString(dir.resolve("x.csv.gz"), "not gzip");
    assertThatThrownBy(() -> Tables.firstRow(gz, "x.csv.gz", DatasetReader.Limits.DEFAULT))
        .hasMessageContaining("x.csv.gz is not a valid .gz file");
    Path json = Files.writeString(dir.resolve("x.json"), "{\"rows\": []}");
    assertThatThrownBy(() -> Tables.firstRow(json, "x.json", DatasetReader.Limits.DEFAULT))
        .hasMessageContaining("an array of objects or an object whose \"data\" is one");
    assertThat(Tables.format("a.parquet.gz")).isNull();
    assertThat(Tables.format("A.JSONL.ZST")).isEqualTo("jsonl");
    List<String> formats = new ArrayList<>();
    for (String name : List.of("t.csv.gz", "t.ndjson", "t.tsv", "t.json")) {
      formats.add(Tables.suffix(name));
    }
    assertThat(formats).containsExactly("csv.gz", "jsonl", "tsv", "json");
  }
}
