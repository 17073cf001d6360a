package io.headprune.architecture;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static org.assertj.core.api.Assertions.assertThat;

import com.tngtech.archunit.base.DescribedPredicate;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Architectures are data (ARCHITECTURE §2): only {@code model/} knows a family. No class elsewhere
 * uses a family's class, and no string literal outside {@code model/} names one, so a per-family
 * branch in checkpoint, scoring, pruning or jobs cannot come back unnoticed.
 */
class ArchitectureNamesTest {

  private static final JavaClasses CLASSES =
      new ClassFileImporter()
          .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
          .importPackages("io.headprune");

  /**
   * Family names as they appear in model_type values, class names and weight prefixes, each
   * starting a word ("activity_label", HellaSwag's column, names no family).
   */
  private static final Pattern FAMILY =
      Pattern.compile(
          "\"[^\"\\n]*(?<![A-Za-z])(?i:bert|roberta|distil|vit|gpt|llama|mistral|qwen|phi|gemma|electra|xlm)[^\"\\n]*\"");

  /** Every family's class in model/ (one architecture per file). */
  static final Set<String> FAMILIES =
      Set.of(
          "Bert",
          "Roberta",
          "DistilBert",
          "XlmRoberta",
          "Electra",
          "Vit",
          "Gpt2",
          "Llama",
          "Mistral",
          "Qwen2",
          "Qwen3",
          "Phi3",
          "Gemma2");

  @Test
  void everyFamilyNamedHereIsAClassOfModel() {
    for (String family : FAMILIES) {
      assertThat(CLASSES.contain("io.headprune.model." + family)).as(family).isTrue();
    }
  }

  @Test
  void noClassOutsideModelUsesAFamilysClass() {
    noClasses()
        .that()
        .resideOutsideOfPackage("io.headprune.model..")
        .should()
        .dependOnClassesThat(
            DescribedPredicate.describe(
                "a family's class",
                (JavaClass c) ->
                    c.getPackageName().equals("io.headprune.model")
                        && FAMILIES.contains(c.getSimpleName().replaceAll("\\$.*", ""))))
        .check(CLASSES);
  }

  @Test
  void noStringLiteralOutsideModelNamesAFamily() throws IOException {
    Path sources = Path.of("src/main/java/io/headprune");
    assertThat(sources).isDirectory();
    List<String> offenders = new ArrayList<>();
    try (var files = Files.walk(sources)) {
      for (Path file : files.filter(p -> p.toString().endsWith(".java")).toList()) {
        if (file.startsWith(sources.resolve("model"))) {
          continue;
        }
        List<String> lines = Files.readAllLines(file);
        for (int i = 0; i < lines.size(); i++) {
          Matcher matcher = FAMILY.matcher(lines.get(i));
          if (matcher.find()) {
            offenders.add(sources.relativize(file) + ":" + (i + 1) + " " + matcher.group());
          }
        }
      }
    }
    assertThat(offenders).as("family names outside model/").isEmpty();
  }
}
