package io.headprune.checkpoint;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.headprune.problem.InvalidInputException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DatasetReaderTest {

  private static final Labels LABELS =
      new Labels(
          2, Map.of(0, "dog_first", 1, "cat_first"), Map.of("dog_first", 0, "cat_first", 1), null);

  @TempDir Path dir;

  private Path file(String name, String content) throws IOException {
    return Files.writeString(dir.resolve(name), content);
  }

  @Test
  void jsonLinesWithIndicesNamesPairsAndUnlabeledRowsAreRead() throws IOException {
    Path path =
        file(
            "d.jsonl",
            "{\"text\":\"a\",\"label\":1}\n\n{\"text\":\"b\",\"text_pair\":\"c\",\"label\":\"dog_first\"}\n"
                + "{\"text\":\"d\"}\n");
    List<Example> examples = DatasetReader.read(path, LABELS);
    assertThat(examples)
        .containsExactly(
            new Example("a", null, 1.0), new Example("b", "c", 0.0), new Example("d", null, null));
  }

  @Test
  void csvAndTsvWithAHeaderAreRead() throws IOException {
    assertThat(DatasetReader.read(file("d.csv", "text,label\n\"x, y\",cat_first\n"), LABELS))
        .containsExactly(new Example("x, y", null, 1.0));
    assertThat(DatasetReader.read(file("d.tsv", "label\ttext\ttext_pair\n0\tp\tq\n"), LABELS))
        .containsExactly(new Example("p", "q", 0.0));
  }

  @Test
  void regressionLabelsAreNumbers() throws IOException {
    Labels regression = new Labels(1, Map.of(), Map.of(), "regression");
    assertThat(DatasetReader.read(file("r.jsonl", "{\"text\":\"a\",\"label\":0.25}\n"), regression))
        .containsExactly(new Example("a", null, 0.25));
  }

  @Test
  void aLineThatIsNotJsonIsNamed() throws IOException {
    Path path = file("d.jsonl", "{\"text\":\"a\",\"label\":1}\nnot json\n");
    assertThatThrownBy(() -> DatasetReader.read(path, LABELS))
        .isInstanceOf(InvalidInputException.class)
        .hasMessageContaining("d.jsonl:2")
        .hasMessageContaining("not valid JSON");
  }

  @Test
  void aLabelNameThatLabel2idDoesNotKnowIsNamed() throws IOException {
    Path path = file("d.jsonl", "{\"text\":\"a\",\"label\":\"bird_first\"}\n");
    assertThatThrownBy(() -> DatasetReader.read(path, LABELS))
        .isInstanceOf(InvalidInputException.class)
        .hasMessageContaining("label 'bird_first' is not in the model's label2id");
  }

  @Test
  void aLabelIndexOutOfRangeIsNamed() throws IOException {
    Path path = file("d.jsonl", "{\"text\":\"a\",\"label\":7}\n");
    assertThatThrownBy(() -> DatasetReader.read(path, LABELS))
        .hasMessageContaining("label 7 is outside [0, 1]");
  }

  @Test
  void anEmptyDatasetIsRejected() throws IOException {
    Path path = file("d.jsonl", "\n\n");
    assertThatThrownBy(() -> DatasetReader.read(path, LABELS))
        .isInstanceOf(InvalidInputException.class)
        .hasMessageContaining("is empty");
  }

  @Test
  void invalidUtf8IsRejected() throws IOException {
    Path path = dir.resolve("d.jsonl");
    Files.write(
        path,
        new byte[] {
          '{', '"', 't', 'e', 'x', 't', '"', ':', '"', (byte) 0xC3, (byte) 0x28, '"', '}'
        });
    assertThatThrownBy(() -> DatasetReader.read(path, LABELS))
        .hasMessageContaining("not valid UTF-8");
  }

  @Test
  void missingTextIsNamed() throws IOException {
    Path path = file("d.jsonl", "{\"label\":1}\n");
    assertThatThrownBy(() -> DatasetReader.read(path, LABELS))
        .hasMessageContaining("\"text\" is missing");
  }
}
