package io.headprune.api;

import io.headprune.problem.ProblemType;
import io.swagger.v3.oas.annotations.OpenAPIDefinition;
import io.swagger.v3.oas.annotations.info.Info;
import io.swagger.v3.oas.annotations.servers.Server;
import io.swagger.v3.oas.models.media.Content;
import io.swagger.v3.oas.models.media.IntegerSchema;
import io.swagger.v3.oas.models.media.MediaType;
import io.swagger.v3.oas.models.media.ObjectSchema;
import io.swagger.v3.oas.models.media.Schema;
import io.swagger.v3.oas.models.media.StringSchema;
import io.swagger.v3.oas.models.responses.ApiResponse;
import jakarta.annotation.Nullable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.springdoc.core.customizers.OpenApiCustomizer;
import org.springdoc.core.customizers.PropertyCustomizer;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** The API's description; the served document is kept equal to the top-level openapi.yaml. */
@Configuration(proxyBeanMethods = false)
@OpenAPIDefinition(
    info =
        @Info(
            title = "headprune",
            version = "v1",
            description =
                "Pruning-as-a-service for transformer attention heads, scored with HIES "
                    + "(head importance and attention entropy). Errors are RFC 9457 application/problem+json."),
    servers = @Server(url = "/", description = "this server"))
class OpenApiDefinition {

  private static final Map<String, String> ERRORS =
      Map.of(
          "400", "Invalid request: malformed JSON, a field out of range, an unknown criterion",
          "401",
              "No valid credentials: a missing, unknown, revoked or malformed API key; an expired, forged or foreign "
                  + "token",
          "403",
              "The key's role may not do this (read: GET only; member: also uploads, jobs and deletes; admin: also "
                  + "keys, audit and usage), or another tenant's administration",
          "404",
              "No such model, dataset, job, artifact or key in the caller's tenant (another tenant's id answers the "
                  + "same)",
          "429",
              "A tenant quota (queued-jobs, uploads-per-hour): the problem names it, its limit and the use; "
                  + "Retry-After says when to retry",
          "503", "The database is unreachable: retry after Retry-After seconds",
          "409",
              "Conflict with the job's state (e.g. cancelling a finished job, outputs of an unfinished job)",
          "413", "Upload larger than the configured limit, or past the tenant's stored-bytes quota",
          "422",
              "Input the engine cannot accept: invalid checkpoint, archive or dataset, unknown label");

  /**
   * Record components marked {@link Nullable} may be JSON null; unbounded floating-point values are
   * {@code Real} (a number, or NaN and the infinities as strings, as Jackson writes them). Bounded
   * ones are validated request fields, finite by construction.
   */
  @Bean
  @SuppressWarnings("unchecked") // an enum's values: swagger's Schema<T> is typed by the value
  PropertyCustomizer nullableAndReal() {
    return (property, type) -> {
      Schema<?> schema = property;
      Class<?> raw = raw(type.getType());
      boolean floating =
          raw == double.class || raw == Double.class || raw == float.class || raw == Float.class;
      if (floating && property.getMinimum() == null && property.getMaximum() == null) {
        schema = new Schema<>().$ref("#/components/schemas/Real");
        schema.setDescription(property.getDescription());
      }
      boolean nullable =
          type.getCtxAnnotations() != null
              && Arrays.stream(type.getCtxAnnotations())
                  .anyMatch(a -> a.annotationType() == Nullable.class);
      if (!nullable) {
        return schema;
      }
      if (schema.getName() != null) {
        // a model: the schema handed in is the component itself, so refer to it, never change it
        schema = new Schema<>().$ref("#/components/schemas/" + schema.getName());
      }
      if (schema.get$ref() != null || schema.getTypes() == null) {
        Schema<?> either = new Schema<>();
        either.setAnyOf(List.of(schema, new Schema<>().types(Set.of("null"))));
        either.setDescription(schema.getDescription());
        schema.setDescription(null);
        return either;
      }
      Set<String> types = new java.util.LinkedHashSet<>(schema.getTypes());
      types.add("null");
      schema.setTypes(types);
      if (schema.getEnum() != null && !schema.getEnum().contains(null)) {
        List<Object> values = new ArrayList<>(schema.getEnum());
        values.add(null);
        ((Schema<Object>) schema).setEnum(values);
      }
      return schema;
    };
  }

  private static Class<?> raw(java.lang.reflect.Type type) {
    if (type instanceof Class<?> c) {
      return c;
    }
    if (type instanceof com.fasterxml.jackson.databind.JavaType javaType) {
      return javaType.getRawClass();
    }
    return Object.class;
  }

  /**
   * Bearer API keys or OIDC tokens on every /v1 operation; the problem+json responses every
   * operation may give.
   */
  @Bean
  @SuppressWarnings("unchecked") // swagger's allOf is a raw List<Schema>
  OpenApiCustomizer problemResponses(org.springframework.core.env.Environment environment) {
    String issuer = environment.getProperty("headprune.security.oidc.issuer-uri");
    return openApi -> {
      openApi
          .getComponents()
          .addSecuritySchemes(
              "bearer",
              new io.swagger.v3.oas.models.security.SecurityScheme()
                  .type(io.swagger.v3.oas.models.security.SecurityScheme.Type.HTTP)
                  .scheme("bearer")
                  .bearerFormat("API key (hp_…)")
                  .description(
                      "An API key: Authorization: Bearer hp_…. The first start writes a platform-admin key to "
                          + "<data-dir>/admin.key; POST /v1/keys makes more."))
          .addSecuritySchemes(
              "openIdConnect",
              new io.swagger.v3.oas.models.security.SecurityScheme()
                  .type(io.swagger.v3.oas.models.security.SecurityScheme.Type.OPENIDCONNECT)
                  .openIdConnectUrl(
                      issuer == null || issuer.isBlank()
                          ? "https://issuer.invalid/.well-known/openid-configuration"
                          : issuer.replaceAll("/$", "") + "/.well-known/openid-configuration")
                  .description(
                      "A JWT from the identity provider named by headprune.security.oidc.issuer-uri (when set), "
                          + "as Authorization: Bearer <token>; the tenant and role come from its claims."));
      openApi
          .getPaths()
          .values()
          .forEach(
              path ->
                  path.readOperations()
                      .forEach(
                          operation ->
                              operation
                                  .addSecurityItem(
                                      new io.swagger.v3.oas.models.security.SecurityRequirement()
                                          .addList("bearer"))
                                  .addSecurityItem(
                                      new io.swagger.v3.oas.models.security.SecurityRequirement()
                                          .addList("openIdConnect"))));
      Schema<String> notFinite = new Schema<>();
      notFinite.setTypes(Set.of("string"));
      notFinite.setEnum(List.of("NaN", "Infinity", "-Infinity"));
      Schema<Object> real = new Schema<>();
      real.setDescription(
          "A number; NaN, Infinity and -Infinity (an undefined metric, say) are the strings"
              + " \"NaN\", \"Infinity\" and \"-Infinity\", as JSON has no literal for them");
      real.setAnyOf(List.of(new Schema<>().types(Set.of("number")), notFinite));
      openApi.getComponents().addSchemas("Real", real);
      // swagger-core marks a @Nullable model's own component nullable (type: "null"); the property
      // carries the nullability (anyOf with null, above), the object stays an object
      for (Schema<?> schema : openApi.getComponents().getSchemas().values()) {
        if (schema.getProperties() != null
            && ("null".equals(schema.getType())
                || schema.getTypes() != null && schema.getTypes().contains("null"))) {
          schema.setType("object");
          schema.setTypes(Set.of("object"));
        }
      }
      // a subtype of a discriminated union names its kind, so that exactly one of oneOf matches
      var components = openApi.getComponents().getSchemas();
      for (Schema<?> union : List.copyOf(components.values())) {
        if (union.getDiscriminator() == null || union.getDiscriminator().getMapping() == null) {
          continue;
        }
        String property = union.getDiscriminator().getPropertyName();
        union
            .getDiscriminator()
            .getMapping()
            .forEach(
                (kind, ref) -> {
                  Schema<?> subtype = components.get(ref.substring(ref.lastIndexOf('/') + 1));
                  if (subtype == null) {
                    return;
                  }
                  Schema<?> own =
                      subtype.getAllOf() == null
                          ? subtype
                          : ((List<Schema<?>>) (List<?>) subtype.getAllOf())
                              .stream()
                                  .filter(part -> part.get$ref() == null)
                                  .findFirst()
                                  .orElse(subtype);
                  StringSchema named = new StringSchema();
                  named.setEnum(List.of(kind));
                  own.addProperty(property, named);
                  own.addRequiredItem(property);
                });
      }
      // springdoc gives every response the operation's media type; these have no body
      openApi.getPaths().values().stream()
          .flatMap(path -> path.readOperations().stream())
          .flatMap(operation -> operation.getResponses().entrySet().stream())
          .filter(response -> List.of("204", "304", "416").contains(response.getKey()))
          .forEach(response -> response.getValue().setContent(null));
      StringSchema problemType = new StringSchema();
      problemType.setFormat("uri");
      problemType.setEnum(
          Arrays.stream(ProblemType.values()).map(t -> t.uri().toString()).toList());
      Schema<?> problem =
          new ObjectSchema()
              .addProperty(
                  "type",
                  problemType.description(
                      "the kind of problem: "
                          + Arrays.stream(ProblemType.values())
                              .map(t -> t.uri() + " (" + t.status() + ", " + t.meaning() + ")")
                              .collect(Collectors.joining("; "))))
              .addProperty("title", new StringSchema())
              .addProperty("status", new IntegerSchema())
              .addProperty("detail", new StringSchema().description("names the problem"))
              .addProperty("instance", new StringSchema());
      openApi.getComponents().addSchemas("Problem", problem);
      Content content =
          new Content()
              .addMediaType(
                  "application/problem+json",
                  new MediaType().schema(new Schema<>().$ref("#/components/schemas/Problem")));
      openApi
          .getPaths()
          .values()
          .forEach(
              path ->
                  path.readOperations()
                      .forEach(
                          operation ->
                              new java.util.TreeMap<>(ERRORS)
                                  .forEach(
                                      (code, description) ->
                                          operation
                                              .getResponses()
                                              .putIfAbsent(
                                                  code,
                                                  new ApiResponse()
                                                      .description(description)
                                                      .content(content)))));
    };
  }
}
