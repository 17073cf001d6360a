package io.headprune.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import io.headprune.hostile.ModelMutations;
import io.headprune.problem.HeadpruneException;
import io.headprune.problem.ProblemType;
import io.headprune.storage.ArtifactStore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every generated hostile model directory (420 mutated safetensors headers, 160 mutated configs)
 * meets the upload's validation directly, without HTTP or archives: each is refused with a problem
 * of a 4xx type whose words name no server path and no Java class. The whole upload path (archive,
 * HTTP, nothing left behind) sees a few of each kind in {@code HostileInputTest}.
 */
class ModelValidationTest {

  private static final Pattern JAVA_NAME =
      Pattern.compile(
          "\\b(java|javax|io\\.headprune|tools\\.jackson|org\\.springframework)\\.[a-z]");

  @Test
  void everyMutatedHeaderAndConfigIsRefusedWithAClientProblem(@TempDir Path work)
      throws IOException {
    Map<String, byte[]> model = ModelMutations.tinyBert();
    assertThat(Catalog.validateModel(write(work.resolve("plain"), model)).heads)
        .as("the unmutated model passes")
        .isEqualTo(16);
    Random random = new Random(20261129);
    List<ModelMutations.Mutation> mutations = new ArrayList<>();
    mutations.addAll(ModelMutations.safetensors(random, model, 420));
    mutations.addAll(ModelMutations.config(random, model, 160));

    Map<String, Integer> statuses = new TreeMap<>();
    List<String> failures = new ArrayList<>();
    for (int i = 0; i < mutations.size(); i++) {
      ModelMutations.Mutation mutation = mutations.get(i);
      Path root = write(work.resolve("m" + i), mutation.files());
      try {
        Catalog.validateModel(root);
        failures.add(mutation.kind() + " (case " + i + "): accepted");
      } catch (HeadpruneException e) {
        int status = ProblemType.of(e).status();
        statuses.merge(mutation.kind().replaceAll("#.*", "") + " " + status, 1, Integer::sum);
        String words = String.valueOf(e.getMessage());
        if (status < 400 || status >= 500 || words.isBlank()) {
          failures.add(mutation.kind() + " (case " + i + "): " + status + " " + words);
        } else if (words.contains(work.toString()) || JAVA_NAME.matcher(words).find()) {
          failures.add(mutation.kind() + " (case " + i + "): leaks internals: " + words);
        }
      } catch (RuntimeException | StackOverflowError e) {
        failures.add(mutation.kind() + " (case " + i + "): " + e);
      } finally {
        ArtifactStore.delete(root);
      }
    }
    System.out.printf("model reader: %d hostile models; %s%n", mutations.size(), statuses);
    assertThat(failures).isEmpty();
  }

  private static Path write(Path root, Map<String, byte[]> files) throws IOException {
    Files.createDirectories(root);
    for (var file : files.entrySet()) {
      Files.write(root.resolve(file.getKey()), file.getValue());
    }
    return root;
  }
}
