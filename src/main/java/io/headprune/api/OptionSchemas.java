package io.headprune.api;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import com.fasterxml.jackson.databind.JavaType;
import io.headprune.jobs.JobView;
import io.headprune.pruning.Alpha;
import io.headprune.pruning.PruneOptions;
import io.swagger.v3.core.converter.AnnotatedType;
import io.swagger.v3.core.converter.ModelConverter;
import io.swagger.v3.oas.annotations.media.DiscriminatorMapping;
import io.swagger.v3.oas.annotations.media.Schema;
import java.lang.reflect.Type;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.springdoc.core.utils.SpringDocUtils;

/**
 * How the API documents the engine's option unions (α, target, selection): the engine's records
 * carry no OpenAPI annotations, so each is documented by a mirror here — the same JSON, named and
 * discriminated as the API says — which springdoc puts in its place. {@code OptionSchemasTest}
 * checks that each mirror has its record's components and type names.
 */
final class OptionSchemas {

  private OptionSchemas() {}

  /** Each engine type, and the mirror that documents it. */
  static final Map<Class<?>, Class<?>> MIRRORS =
      Map.ofEntries(
          Map.entry(Alpha.class, AlphaOption.class),
          Map.entry(Alpha.Fixed.class, AlphaFixed.class),
          Map.entry(Alpha.Auto.class, AlphaAuto.class),
          Map.entry(PruneOptions.Target.class, TargetOption.class),
          Map.entry(PruneOptions.Target.Sparsity.class, TargetSparsity.class),
          Map.entry(PruneOptions.Target.MetricBudget.class, TargetMaxMetricDrop.class),
          Map.entry(PruneOptions.Selection.class, SelectionOption.class),
          Map.entry(PruneOptions.Selection.OneShot.class, SelectionOneShot.class),
          Map.entry(PruneOptions.Selection.Iterative.class, SelectionIterative.class),
          Map.entry(PruneOptions.Selection.UniformGroups.class, SelectionUniformGroups.class));

  /**
   * Names the API gives types whose Java names would clash or say too little (a job's {@code
   * Result}, {@code Failure}, …), so that their own packages need no OpenAPI annotation.
   */
  static final Map<Class<?>, String> NAMES =
      Map.of(
          JobView.Failure.class, "JobFailure",
          JobView.Result.class, "JobResult",
          JobView.Link.class, "JobLink",
          JobView.Callback.class, "CallbackStatus",
          JobView.Model.class, "JobModel");

  /** Gives the types of {@link #NAMES} their names, then resolves them as usual. */
  static ModelConverter naming() {
    return (type, context, chain) -> {
      String name = NAMES.get(raw(type.getType()));
      if (name != null && type.getName() == null) {
        type.name(name);
      }
      return chain.hasNext() ? chain.next().resolve(type, context, chain) : null;
    };
  }

  /**
   * The job view's {@code request}, kept as the JSON it was submitted as and served as it is, is a
   * {@code JobRequest} (or null).
   */
  static io.swagger.v3.oas.models.media.Schema<?> property(
      io.swagger.v3.oas.models.media.Schema<?> property, AnnotatedType type) {
    if (type.getParent() != null
        && "JobView".equals(type.getParent().getName())
        && "request".equals(type.getPropertyName())) {
      var either = new io.swagger.v3.oas.models.media.Schema<>();
      either.setAnyOf(
          List.of(
              new io.swagger.v3.oas.models.media.Schema<>().$ref("#/components/schemas/JobRequest"),
              new io.swagger.v3.oas.models.media.Schema<>().types(Set.of("null"))));
      either.setDescription(property.getDescription());
      return either;
    }
    return property;
  }

  static Class<?> raw(Type type) {
    if (type instanceof Class<?> c) {
      return c;
    }
    if (type instanceof JavaType javaType) {
      return javaType.getRawClass();
    }
    return Object.class;
  }

  /** Tells springdoc to document each engine type by its mirror. */
  static void register() {
    SpringDocUtils config = SpringDocUtils.getConfig();
    MIRRORS.forEach(config::replaceWithClass);
  }

  @JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "kind")
  @JsonSubTypes({
    @JsonSubTypes.Type(value = AlphaFixed.class, name = "fixed"),
    @JsonSubTypes.Type(value = AlphaAuto.class, name = "auto")
  })
  @Schema(
      name = "AlphaOption",
      discriminatorProperty = "kind",
      discriminatorMapping = {
        @DiscriminatorMapping(value = "fixed", schema = AlphaFixed.class),
        @DiscriminatorMapping(value = "auto", schema = AlphaAuto.class)
      })
  sealed interface AlphaOption permits AlphaFixed, AlphaAuto {}

  @Schema(name = "AlphaFixed")
  record AlphaFixed(@Schema(requiredMode = Schema.RequiredMode.REQUIRED) double value)
      implements AlphaOption {}

  @Schema(name = "AlphaAuto")
  record AlphaAuto(@Schema(requiredMode = Schema.RequiredMode.REQUIRED) Alpha.Rule by)
      implements AlphaOption {}

  @JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "kind")
  @JsonSubTypes({
    @JsonSubTypes.Type(value = TargetSparsity.class, name = "sparsity"),
    @JsonSubTypes.Type(value = TargetMaxMetricDrop.class, name = "maxMetricDrop")
  })
  @Schema(
      name = "TargetOption",
      discriminatorProperty = "kind",
      discriminatorMapping = {
        @DiscriminatorMapping(value = "sparsity", schema = TargetSparsity.class),
        @DiscriminatorMapping(value = "maxMetricDrop", schema = TargetMaxMetricDrop.class)
      })
  sealed interface TargetOption permits TargetSparsity, TargetMaxMetricDrop {}

  @Schema(name = "TargetSparsity")
  record TargetSparsity(@Schema(requiredMode = Schema.RequiredMode.REQUIRED) double value)
      implements TargetOption {}

  @Schema(name = "TargetMaxMetricDrop")
  record TargetMaxMetricDrop(
      @Schema(requiredMode = Schema.RequiredMode.REQUIRED) double maxMetricDrop,
      @Schema(requiredMode = Schema.RequiredMode.REQUIRED) double step)
      implements TargetOption {}

  @JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "kind")
  @JsonSubTypes({
    @JsonSubTypes.Type(value = SelectionOneShot.class, name = "one-shot"),
    @JsonSubTypes.Type(value = SelectionIterative.class, name = "iterative"),
    @JsonSubTypes.Type(value = SelectionUniformGroups.class, name = "uniform-groups")
  })
  @Schema(
      name = "SelectionOption",
      discriminatorProperty = "kind",
      discriminatorMapping = {
        @DiscriminatorMapping(value = "one-shot", schema = SelectionOneShot.class),
        @DiscriminatorMapping(value = "iterative", schema = SelectionIterative.class),
        @DiscriminatorMapping(value = "uniform-groups", schema = SelectionUniformGroups.class)
      })
  sealed interface SelectionOption
      permits SelectionOneShot, SelectionIterative, SelectionUniformGroups {}

  @Schema(name = "SelectionOneShot")
  record SelectionOneShot() implements SelectionOption {}

  @Schema(name = "SelectionIterative")
  record SelectionIterative(@Schema(requiredMode = Schema.RequiredMode.REQUIRED) double step)
      implements SelectionOption {}

  @Schema(name = "SelectionUniformGroups")
  record SelectionUniformGroups(
      @Schema(requiredMode = Schema.RequiredMode.REQUIRED) boolean loadableByV5,
      @Schema(requiredMode = Schema.RequiredMode.REQUIRED, minimum = "1") int tensorParallel)
      implements SelectionOption {}
}
