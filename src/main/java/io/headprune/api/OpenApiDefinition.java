package io.headprune.api;

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
import java.util.Map;
import org.springdoc.core.customizers.OpenApiCustomizer;
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
   * Bearer API keys or OIDC tokens on every /v1 operation; the problem+json responses every
   * operation may give.
   */
  @Bean
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
      Schema<?> problem =
          new ObjectSchema()
              .addProperty("type", new StringSchema())
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
