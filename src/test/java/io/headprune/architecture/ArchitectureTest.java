package io.headprune.architecture;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.base.DescribedPredicate;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.domain.JavaFieldAccess;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import java.util.Set;
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
            "io.headprune.progress..",
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

  /**
   * A job's life is its entity's: no other class writes its status, phase, attempt, start or end
   * times or cancel flag (the moves check JobEntity.NEXT; the JPQL progress updates write phase and
   * counters of the running attempt only).
   */
  @Test
  void onlyTheJobEntityMovesAJob() {
    Set<String> lifecycle =
        Set.of("status", "phase", "attempt", "startedAt", "finishedAt", "cancelRequested");
    noClasses()
        .that()
        .doNotHaveFullyQualifiedName("io.headprune.jobs.JobEntity")
        .should()
        .setFieldWhere(
            DescribedPredicate.describe(
                "a lifecycle field of JobEntity",
                (JavaFieldAccess access) ->
                    access
                            .getTarget()
                            .getOwner()
                            .getFullName()
                            .equals("io.headprune.jobs.JobEntity")
                        && lifecycle.contains(access.getTarget().getName())))
        .check(CLASSES);
  }

  /**
   * Progress and stopping are shared by the engine, the jobs and the command line, and depend on
   * none of them: a phase or a stop means the same to all.
   */
  @Test
  void progressDependsOnNothingOfHeadprunes() {
    noClasses()
        .that()
        .resideInAPackage("io.headprune.progress..")
        .should()
        .dependOnClassesThat(
            JavaClass.Predicates.resideInAPackage("io.headprune..")
                .and(JavaClass.Predicates.resideOutsideOfPackage("io.headprune.progress..")))
        .check(CLASSES);
  }

  /**
   * A run is stopped by its token, checked by the engine after a batch: no progress listener of the
   * jobs throws the stop itself (the worker's listener only asks).
   */
  @Test
  void onlyTheTokenAndTheJobsEdgesRaiseAStop() {
    noClasses()
        .that()
        .doNotHaveFullyQualifiedName("io.headprune.progress.StopToken")
        .and()
        .doNotHaveFullyQualifiedName("io.headprune.jobs.JobRunner")
        .and()
        .doNotHaveFullyQualifiedName("io.headprune.jobs.JobResults")
        .should()
        .callConstructor(
            "io.headprune.progress.RunStopped", "io.headprune.progress.StopToken$Reason")
        .check(CLASSES);
  }

  /**
   * OpenAPI is the API's concern: the engine, the jobs and every other package carry no swagger
   * annotation or model (the API documents their types by mirrors and names of its own).
   */
  @Test
  void onlyTheApiKnowsOpenApi() {
    noClasses()
        .that()
        .resideOutsideOfPackage("io.headprune.api..")
        .should()
        .dependOnClassesThat()
        .resideInAPackage("io.swagger..")
        .check(CLASSES);
  }

  @Test
  void packagesHaveNoCycles() {
    slices().matching("io.headprune.(*)..").should().beFreeOfCycles().check(CLASSES);
  }
}
