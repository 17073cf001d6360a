package io.headprune.hub;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.headprune.checkpoint.DatasetReader;
import io.headprune.checkpoint.Tables;
import io.headprune.problem.NotFoundException;
import io.headprune.support.FakeHub;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Hub datasets found as datasets.load_dataset finds them, against a mock Hub: the card's configs,
 * the conventional layouts, the Parquet conversion branch; only the shards a sample needs are
 * downloaded.
 */
public class HubDatasetsTest {

  static final Path DATA = Path.of("src/test/resources/data");

  /** A GLUE-like card: two configs, class_label names, splits as data_files patterns. */
  public static final String CARD =
      """
      ---
      language: en
      configs:
      - config_name: order
        data_files:
        - split: train
          path: order/train-*
        - split: validation
          path: order/validation-*
        default: true
      - config_name: other
        data_files: other/*.jsonl
      dataset_info:
      - config_name: order
        features:
        - name: idx
          dtype: int64
        - name: sentence
          dtype: string
        - name: label
          dtype:
            class_label:
              names:
                '0': dog_first
                '1': cat_first
      ---
      # Order

      Which animal comes first.
      """;

  @TempDir Path cache;
  @TempDir Path out;

  private final FakeHub fake = new FakeHub(null);

  @AfterEach
  void close() {
    fake.close();
  }

  private HubClient client() {
    return new HubClient(
        new HubSettings(URI.create(fake.endpoint()), null, cache, false, Duration.ofSeconds(5), 2));
  }

  public static byte[] bytes(String file) {
    try {
      return Files.readAllBytes(DATA.resolve(file));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The card layout of acme/order: two train shards of 96 rows, one validation file. */
  public static Map<String, byte[]> orderRepository() {
    Map<String, byte[]> files = new LinkedHashMap<>();
    files.put("README.md", CARD.getBytes(StandardCharsets.UTF_8));
    files.put(".gitattributes", "*.parquet filter=lfs".getBytes(StandardCharsets.UTF_8));
    files.put("order/train-00000-of-00002.parquet", bytes("order-train-00000-of-00002.parquet"));
    files.put("order/train-00001-of-00002.parquet", bytes("order-train-00001-of-00002.parquet"));
    files.put("order/validation-00000-of-00001.parquet", bytes("order-validation.parquet"));
    return files;
  }

  /** acme/order with a card whose label names sit at the other indices (cat_first = 0). */
  public static Map<String, byte[]> swappedRepository() {
    Map<String, byte[]> files = new LinkedHashMap<>(orderRepository());
    files.put(
        "README.md",
        CARD.replace("'0': dog_first", "'0': cat_first")
            .replace("'1': cat_first", "'1': dog_first")
            .getBytes(StandardCharsets.UTF_8));
    return files;
  }

  private long downloadsOf(String file) {
    return fake.hubRequests.stream()
        .filter(r -> r.getUrl().encodedPath().endsWith("/" + file))
        .count();
  }

  @Test
  void theCardsConfigsNameTheFilesAndASampleDownloadsOnlyTheShardsItNeeds() {
    FakeHub.Repo repo = fake.add("datasets/acme/order", orderRepository(), false, false);
    HubClient.Split split =
        client()
            .datasetSplit(
                "acme/order", "main", null, "train", 50, 1 << 20, DatasetReader.Limits.DEFAULT);
    assertThat(split.source()).isEqualTo("card");
    assertThat(split.config()).isEqualTo("order"); // the config flagged default
    assertThat(split.commit()).isEqualTo(repo.commit());
    assertThat(split.splitFiles())
        .containsExactly(
            "order/train-00000-of-00002.parquet", "order/train-00001-of-00002.parquet");
    // 50 rows are in the first shard: the second is never asked for
    assertThat(split.names()).containsExactly("order/train-00000-of-00002.parquet");
    assertThat(downloadsOf("train-00001-of-00002.parquet")).isZero();
    assertThat(split.bytes()).isEqualTo(bytes("order-train-00000-of-00002.parquet").length);
    assertThat(split.rows()).isEqualTo(96);
    assertThat(split.labelNames()).containsEntry("label", List.of("dog_first", "cat_first"));

    HubClient.Split all =
        client()
            .datasetSplit(
                "acme/order", "main", "order", "train", 150, 1 << 20, DatasetReader.Limits.DEFAULT);
    assertThat(all.names()).hasSize(2);
    all.materialize(out.resolve("train"), 150);
    long[] rows = {0};
    Tables.read(
        out.resolve("train"),
        "train",
        DatasetReader.Limits.DEFAULT,
        (row, where) -> {
          rows[0]++;
          return true;
        });
    assertThat(rows[0]).isEqualTo(150); // the manifest's limit, across both shards
  }

  @Test
  void aMissingConfigOrSplitIsA404ListingThoseThatExist() {
    fake.add("datasets/acme/order", orderRepository(), false, false);
    assertThatThrownBy(
            () ->
                client()
                    .datasetSplit(
                        "acme/order",
                        "main",
                        "sst2",
                        "train",
                        10,
                        1 << 20,
                        DatasetReader.Limits.DEFAULT))
        .isInstanceOf(NotFoundException.class)
        .hasMessageContaining("has no config 'sst2'; its configs are [order, other]");
    assertThatThrownBy(
            () ->
                client()
                    .datasetSplit(
                        "acme/order",
                        "main",
                        null,
                        "test",
                        10,
                        1 << 20,
                        DatasetReader.Limits.DEFAULT))
        .isInstanceOf(NotFoundException.class)
        .hasMessageContaining("has no split 'test'; its splits are [train, validation]");
  }

  @Test
  void withoutACardSplitsComeFromFileNames() {
    Map<String, byte[]> files = new LinkedHashMap<>();
    files.put("README.md", "# no YAML header\n".getBytes(StandardCharsets.UTF_8));
    files.put("data/train.csv.zst", bytes("order-quoted.csv.zst"));
    files.put("data/dev-00000.tsv", bytes("order.tsv"));
    files.put("my_test_file.jsonl.gz", bytes("order.jsonl.gz"));
    files.put("notes.txt", "not data".getBytes(StandardCharsets.UTF_8));
    fake.add("datasets/acme/plain", files, false, false);
    HubClient hub = client();
    assertThat(
            hub.datasetSplit(
                    "acme/plain",
                    "main",
                    null,
                    "validation",
                    10,
                    1 << 20,
                    DatasetReader.Limits.DEFAULT)
                .names())
        .containsExactly("data/dev-00000.tsv");
    HubClient.Split test =
        hub.datasetSplit(
            "acme/plain", "main", null, "test", 10, 1 << 20, DatasetReader.Limits.DEFAULT);
    assertThat(test.source()).isEqualTo("layout");
    assertThat(test.names()).containsExactly("my_test_file.jsonl.gz");
    assertThat(test.rows()).isEqualTo(40);
    assertThat(
            hub.datasetSplit(
                    "acme/plain",
                    "main",
                    "default",
                    "train",
                    10,
                    1 << 20,
                    DatasetReader.Limits.DEFAULT)
                .names())
        .containsExactly("data/train.csv.zst");
  }

  @Test
  void aRepositoryWithoutDataFilesIsReadFromItsParquetConversion() {
    Map<String, byte[]> files = new LinkedHashMap<>();
    files.put("README.md", "---\nlicense: mit\n---\n".getBytes(StandardCharsets.UTF_8));
    files.put("order.py", "# a loading script".getBytes(StandardCharsets.UTF_8));
    fake.add("datasets/acme/scripted", files, false, false);
    Map<String, byte[]> converted = new LinkedHashMap<>();
    converted.put("order/train/0000.parquet", bytes("order-train-00000-of-00002.parquet"));
    converted.put("order/train/0001.parquet", bytes("order-train-00001-of-00002.parquet"));
    converted.put("order/validation/0000.parquet", bytes("order-validation.parquet"));
    FakeHub.Repo branch =
        fake.addBranch("datasets/acme/scripted", "refs/convert/parquet", converted);
    HubClient.Split split =
        client()
            .datasetSplit(
                "acme/scripted",
                "main",
                "order",
                "validation",
                10,
                1 << 20,
                DatasetReader.Limits.DEFAULT);
    assertThat(split.source()).isEqualTo("parquet");
    assertThat(split.commit()).isEqualTo(branch.commit());
    assertThat(split.names()).containsExactly("order/validation/0000.parquet");
    assertThatThrownBy(
            () ->
                client()
                    .datasetSplit(
                        "acme/scripted",
                        "main",
                        "order",
                        "test",
                        10,
                        1 << 20,
                        DatasetReader.Limits.DEFAULT))
        .hasMessageContaining("its splits are [train, validation]")
        .hasMessageContaining("Parquet conversion");
  }

  @Test
  void aRepositoryWithNeitherIsNamed() {
    fake.add(
        "datasets/acme/empty",
        Map.of("README.md", "hi".getBytes(StandardCharsets.UTF_8)),
        false,
        false);
    assertThatThrownBy(
            () ->
                client()
                    .datasetSplit(
                        "acme/empty",
                        "main",
                        null,
                        "train",
                        10,
                        1 << 20,
                        DatasetReader.Limits.DEFAULT))
        .isInstanceOf(NotFoundException.class)
        .hasMessageContaining("has no data file headprune reads")
        .hasMessageContaining("no Parquet conversion");
  }

  @Test
  void conventionalSplitKeywordsAreDelimited() {
    assertThat(
            DatasetLayout.conventionalSplits(
                List.of(
                    "train.csv", "pretraining.csv", "data/validation-0.parquet", "testdata.csv")))
        .isEqualTo(
            Map.of(
                "train", List.of("train.csv"),
                "validation", List.of("data/validation-0.parquet")));
  }
}
