package io.headprune.api;

import io.swagger.v3.oas.models.OpenAPI;
import io.swagger.v3.oas.models.Operation;
import io.swagger.v3.oas.models.media.Content;
import io.swagger.v3.oas.models.media.Schema;
import io.swagger.v3.oas.models.parameters.Parameter;
import java.math.BigDecimal;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The served contract as strict as the server: what an answer always holds is {@code required}, an
 * object the server never adds members to is closed ({@code additionalProperties: false}), a
 * request object is closed because the server refuses unknown fields, and every {@code pattern} is
 * anchored as Bean Validation matches it (the whole value), not searched as JSON Schema does.
 */
@SuppressWarnings("rawtypes") // swagger keeps components as raw Schema
final class ContractRules {

  private ContractRules() {}

  private static final String COMPONENTS = "#/components/schemas/";

  static void apply(OpenAPI openApi) {
    Map<String, Schema> components = openApi.getComponents().getSchemas();
    alphaAsTheServerTakesIt(components.get("JobRequest"));
    Set<String> answered = new LinkedHashSet<>();
    Set<String> asked = new LinkedHashSet<>();
    for (var item : openApi.getPaths().values()) {
      for (Operation operation : item.readOperations()) {
        operation
            .getResponses()
            .values()
            .forEach(response -> reach(response.getContent(), components, answered));
        if (operation.getRequestBody() != null) {
          reach(operation.getRequestBody().getContent(), components, asked);
        }
        if (operation.getParameters() != null) {
          operation.getParameters().stream()
              .map(Parameter::getSchema)
              .forEach(ContractRules::anchorAll);
        }
      }
    }
    for (var entry : components.entrySet()) {
      Schema<?> schema = entry.getValue();
      anchorAll(schema);
      if (schema.getProperties() == null
          || schema.getDiscriminator() != null
          || schema.getAllOf() != null) {
        continue; // a union's parts are checked by its discriminator, not closed one by one
      }
      boolean request = asked.contains(entry.getKey());
      if (answered.contains(entry.getKey()) && !request && schema.getRequired() == null) {
        // Jackson writes every component, null included: each one is always there (a schema that
        // names its own, as Problem does, keeps them)
        schema.setRequired(new ArrayList<>(schema.getProperties().keySet()));
      }
      if (request || answered.contains(entry.getKey())) {
        schema.setAdditionalProperties(false);
      }
    }
  }

  /**
   * A job's {@code alpha} is a number in [0, 1] or {@code "auto"} (ARCHITECTURE.md's {@code 0.5 |
   * "auto"}); the server also takes the number written as a string.
   */
  private static void alphaAsTheServerTakesIt(Schema<?> request) {
    if (request == null || request.getProperties() == null) {
      return;
    }
    Schema<?> written = request.getProperties().get("alpha");
    if (written == null) {
      return;
    }
    Schema<Object> number = new Schema<>();
    number.setTypes(Set.of("number"));
    number.setMinimum(BigDecimal.ZERO);
    number.setMaximum(BigDecimal.ONE);
    Schema<Object> alpha = new Schema<>();
    alpha.setAnyOf(List.of(number, written));
    alpha.setDescription(written.getDescription());
    written.setDescription(null);
    request.getProperties().put("alpha", alpha);
  }

  /** Every component {@code content}'s schemas refer to, directly or through others. */
  private static void reach(Content content, Map<String, Schema> components, Set<String> names) {
    if (content == null) {
      return;
    }
    Deque<Schema<?>> todo = new ArrayDeque<>();
    content.values().forEach(media -> push(todo, media.getSchema()));
    while (!todo.isEmpty()) {
      Schema<?> schema = todo.pop();
      if (schema.get$ref() != null) {
        String name = schema.get$ref().substring(COMPONENTS.length());
        if (names.add(name) && components.get(name) != null) {
          todo.push(components.get(name));
        }
        continue;
      }
      children(schema).forEach(child -> push(todo, child));
    }
  }

  private static void push(Deque<Schema<?>> todo, Schema<?> schema) {
    if (schema != null) {
      todo.push(schema);
    }
  }

  @SuppressWarnings("unchecked") // swagger's composed lists are raw
  private static List<Schema<?>> children(Schema<?> schema) {
    List<Schema<?>> children = new ArrayList<>();
    if (schema.getProperties() != null) {
      schema.getProperties().values().forEach(children::add);
    }
    if (schema.getItems() != null) {
      children.add(schema.getItems());
    }
    if (schema.getAdditionalProperties() instanceof Schema<?> values) {
      children.add(values);
    }
    for (List<?> composed : List.of(nonNull(schema.getAllOf()), nonNull(schema.getAnyOf()))) {
      children.addAll((List<Schema<?>>) composed);
    }
    children.addAll((List<Schema<?>>) (List<?>) nonNull(schema.getOneOf()));
    return children;
  }

  private static List<?> nonNull(List<?> list) {
    return list == null ? List.of() : list;
  }

  /** Anchors every pattern in {@code schema} and the schemas inside it (not through $refs). */
  private static void anchorAll(Schema<?> schema) {
    if (schema == null) {
      return;
    }
    Deque<Schema<?>> todo = new ArrayDeque<>(List.of(schema));
    while (!todo.isEmpty()) {
      Schema<?> next = todo.pop();
      if (next.getPattern() != null) {
        next.setPattern(anchored(next.getPattern()));
      }
      children(next).forEach(child -> push(todo, child));
    }
  }

  /** {@code ^(?:p)$}: the whole value matches, as {@code @Pattern} and {@code matches} mean. */
  static String anchored(String pattern) {
    if (pattern.startsWith("^") && pattern.endsWith("$")) {
      return pattern;
    }
    return "^(?:" + pattern + ")$";
  }
}
