package io.headprune.api;

import com.fasterxml.jackson.databind.JavaType;
import io.headprune.problem.ProblemType;
import io.swagger.v3.core.converter.ModelConverter;
import io.swagger.v3.oas.annotations.OpenAPIDefinition;
import io.swagger.v3.oas.annotations.info.Info;
import io.swagger.v3.oas.annotations.servers.Server;
import io.swagger.v3.oas.models.Operation;
import io.swagger.v3.oas.models.PathItem;
import io.swagger.v3.oas.models.media.Content;
import io.swagger.v3.oas.models.media.IntegerSchema;
import io.swagger.v3.oas.models.media.MediaType;
import io.swagger.v3.oas.models.media.ObjectSchema;
import io.swagger.v3.oas.models.media.Schema;
import io.swagger.v3.oas.models.media.StringSchema;
import io.swagger.v3.oas.models.responses.ApiResponse;
import io.swagger.v3.oas.models.security.SecurityRequirement;
import io.swagger.v3.oas.models.security.SecurityScheme;
import jakarta.annotation.Nullable;
import java.lang.reflect.Type;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.springdoc.core.customizers.OpenApiCustomizer;
import org.springdoc.core.customizers.PropertyCustomizer;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.env.Environment;

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

  static {
    OptionSchemas.register(); // the engine's option unions, documented by their mirrors
  }

  /** What each problem status means, as every operation that can send it says. */
  private static final Map<Integer, String> ERRORS =
      Map.ofEntries(
          Map.entry(
              400,
              "Invalid request: malformed JSON or parameter, a field out of range, an unknown"
                  + " criterion, a header given twice, a path not in normal form"),
          Map.entry(
              401,
              "No valid credentials: a missing, unknown, revoked or malformed API key; an expired,"
                  + " forged or foreign token"),
          Map.entry(
              403,
              "The key's role may not do this (read: GET only; member: also uploads, jobs and"
                  + " deletes; admin: also keys, audit and usage), or another tenant's"
                  + " administration"),
          Map.entry(
              404,
              "No such resource in the caller's tenant (another tenant's id answers the same)"),
          Map.entry(406, "The Accept header names no media type this operation gives"),
          Map.entry(
              409,
              "Conflict with the resource's state: a finished job cancelled, outputs of an"
                  + " unfinished job, a model or dataset in use, an Idempotency-Key reused with"
                  + " another body, callbacks or Hub tokens without a key-encryption key"),
          Map.entry(
              413,
              "Body or upload larger than the configured limit, or past the tenant's stored-bytes"
                  + " quota"),
          Map.entry(415, "The Content-Type is not one this operation takes"),
          Map.entry(
              422,
              "Input the engine cannot accept: an invalid checkpoint, archive or dataset, an"
                  + " unsupported architecture, an unknown label, a model past the memory budget"),
          Map.entry(
              429,
              "A tenant quota (queued-jobs, uploads-per-hour): the problem names it, its limit and"
                  + " the use; Retry-After says when to retry"),
          Map.entry(500, "The server failed; the problem says when it was logged"),
          Map.entry(502, "The Hugging Face Hub failed or refused a download"),
          Map.entry(
              503,
              "The database is unreachable, or every connection or upload slot is in use: retry"
                  + " after Retry-After seconds"));

  /**
   * The refusals an operation can send beyond those its shape implies (see {@link #errorCodes}):
   * its own conflicts, unacceptable inputs, quotas and upstream failures.
   */
  private static final Map<String, List<Integer>> OWN_ERRORS =
      Map.ofEntries(
          Map.entry("uploadModel", List.of(422, 429)),
          Map.entry("uploadDataset", List.of(422, 429)),
          Map.entry("describeModel", List.of(422)),
          Map.entry("describeDataset", List.of(422)),
          Map.entry("deleteModel", List.of(409)),
          Map.entry("deleteDataset", List.of(409)),
          Map.entry("submitJob", List.of(404, 409, 422, 429, 502)),
          Map.entry("cancelJob", List.of(409)),
          Map.entry("getJobArtifact", List.of(409)),
          Map.entry("getJobReport", List.of(409)),
          Map.entry("getJobReportPage", List.of(409)),
          Map.entry("getJobScores", List.of(409)),
          Map.entry("getJobHeads", List.of(409)),
          Map.entry("getJobEvaluations", List.of(409)),
          Map.entry("createKey", List.of(422)),
          Map.entry("setHubToken", List.of(409, 422)),
          Map.entry("pushJob", List.of(409, 422, 502)));

  /** Paths only an admin (or a platform admin) may call, whatever the method. */
  private static final List<String> ADMIN_PATHS = List.of("/v1/keys", "/v1/audit", "/v1/tenants");

  /**
   * Exactly the problem statuses an operation can answer: any request may be malformed (400),
   * unauthenticated (401), fail (500) or find the database away (503); a method other than GET, or
   * an administration path, may be forbidden (403); a path with an id may name none (404); an
   * answer with a body may be unacceptable (406); a request body may be too large (413) or of
   * another type (415); then the operation's own.
   */
  static SortedSet<Integer> errorCodes(
      String path, PathItem.HttpMethod method, Operation operation) {
    SortedSet<Integer> codes = new TreeSet<>(List.of(400, 401, 500, 503));
    if (method != PathItem.HttpMethod.GET || ADMIN_PATHS.stream().anyMatch(path::startsWith)) {
      codes.add(403);
    }
    if (path.contains("{")) {
      codes.add(404);
    }
    boolean answersWithBody =
        operation.getResponses().entrySet().stream()
            .anyMatch(
                r ->
                    r.getKey().startsWith("2")
                        && r.getValue().getContent() != null
                        && !r.getValue().getContent().isEmpty());
    if (answersWithBody) {
      codes.add(406);
    }
    if (operation.getRequestBody() != null) {
      codes.add(413);
      codes.add(415);
    }
    codes.addAll(OWN_ERRORS.getOrDefault(operation.getOperationId(), List.of()));
    return codes;
  }

  /**
   * Record components marked {@link Nullable} may be JSON null; unbounded floating-point values are
   * {@code Real} (a number, or NaN and the infinities as strings, as Jackson writes them). Bounded
   * ones are validated request fields, finite by construction.
   */
  /** Names the API gives types whose Java names would clash ({@link OptionSchemas#NAMES}). */
  @Bean
  ModelConverter schemaNames() {
    return OptionSchemas.naming();
  }

  @Bean
  @SuppressWarnings("unchecked") // an enum's values: swagger's Schema<T> is typed by the value
  PropertyCustomizer nullableAndReal() {
    return (property, type) -> {
      Schema<?> special = OptionSchemas.property(property, type);
      if (special != property) {
        return special;
      }
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
      Set<String> types = new LinkedHashSet<>(schema.getTypes());
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

  private static Class<?> raw(Type type) {
    if (type instanceof Class<?> c) {
      return c;
    }
    if (type instanceof JavaType javaType) {
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
  OpenApiCustomizer problemResponses(Environment environment) {
    String issuer = environment.getProperty("headprune.security.oidc.issuer-uri");
    return openApi -> {
      openApi
          .getComponents()
          .addSecuritySchemes(
              "bearer",
              new SecurityScheme()
                  .type(SecurityScheme.Type.HTTP)
                  .scheme("bearer")
                  .bearerFormat("API key (hp_…)")
                  .description(
                      "An API key: Authorization: Bearer hp_…. The first start writes a platform-admin key to "
                          + "<data-dir>/admin.key; POST /v1/keys makes more."))
          .addSecuritySchemes(
              "openIdConnect",
              new SecurityScheme()
                  .type(SecurityScheme.Type.OPENIDCONNECT)
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
                                  .addSecurityItem(new SecurityRequirement().addList("bearer"))
                                  .addSecurityItem(
                                      new SecurityRequirement().addList("openIdConnect"))));
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
              .addProperty(
                  "instance",
                  new StringSchema()
                      .format("uri")
                      .pattern("^urn:uuid:[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}$")
                      .description("this occurrence's id, as the service's log names it"))
              .addProperty(
                  "quota", new StringSchema().description("a quota problem's quota (429, or 413)"))
              .addProperty("limit", new IntegerSchema().format("int64").description("its limit"))
              .addProperty(
                  "used", new IntegerSchema().format("int64").description("the use it counted"));
      problem.setRequired(List.of("type", "title", "status", "detail", "instance"));
      problem.setAdditionalProperties(false);
      openApi.getComponents().addSchemas("Problem", problem);
      Content content =
          new Content()
              .addMediaType(
                  "application/problem+json",
                  new MediaType().schema(new Schema<>().$ref("#/components/schemas/Problem")));
      openApi
          .getPaths()
          .forEach(
              (path, item) ->
                  item.readOperationsMap()
                      .forEach(
                          (method, operation) ->
                              errorCodes(path, method, operation)
                                  .forEach(
                                      code ->
                                          operation
                                              .getResponses()
                                              .putIfAbsent(
                                                  Integer.toString(code),
                                                  new ApiResponse()
                                                      .description(ERRORS.get(code))
                                                      .content(content)))));
      ContractRules.apply(openApi);
    };
  }
}
