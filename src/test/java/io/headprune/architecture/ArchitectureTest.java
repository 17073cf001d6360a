package io.headprune.architecture;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

/** Package boundaries: the engine stays free of Spring and JPA; no package cycles. */
class ArchitectureTest {

  private static final JavaClasses CLASSES =
      new ClassFileImporter()
          .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
          .importPackages("io.headprune");

  @Test
  void engineImportsNothingFromSpringOrJpa() {
    noClasses()
        .that()
        .resideInAnyPackage(
            "io.headprune.checkpoint..",
            "io.headprune.model..",
            "io.headprune.scoring..",
            "io.headprune.pruning..",
            "io.headprune.problem..",
            "io.headprune.cli..",
            "io.headprune.hub..",
            "io.headprune.storage..")
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage(
            "org.springframework..",
            "jakarta.persistence..",
            "org.hibernate..",
            "jakarta.servlet..")
        .check(CLASSES);
  }

  /** The application class starts everything; nothing it starts depends on it (no cycle). */
  @Test
  void nothingDependsOnTheApplicationClass() {
    noClasses()
        .that()
        .resideOutsideOfPackage("io.headprune")
        .should()
        .dependOnClassesThat()
        .haveFullyQualifiedName("io.headprune.HeadpruneApplication")
        .check(CLASSES);
  }

  @Test
  void packagesHaveNoCycles() {
    slices().matching("io.headprune.(*)..").should().beFreeOfCycles().check(CLASSES);
  }
}
