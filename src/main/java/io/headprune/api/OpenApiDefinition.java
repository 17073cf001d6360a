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
    info = @Info(title = "headprune", version = "v1",
        description = "Pruning-as-a-service for transformer attention heads, scored with HIES "
            + "(head importance and attention entropy). Errors are RFC 9457 application/problem+json."),
    servers = @Server(url = "/", description = "this server"))
class OpenApiDefinition {

  private static final Map<String, String> ERRORS = Map.of(
      "400", "Invalid request: malformed JSON, a field out of range, an unknown criterion",
      "404", "No such model, dataset, job or artifact",
      "409", "Conflict with the job's state (e.g. cancelling a finished job, outputs of an unfinished job)",
      "413", "Upload larger than the configured limit",
      "422", "Input the engine cannot accept: invalid checkpoint, archive or dataset, unknown label");

  /** Documents the problem+json responses every operation may give. */
  @Bean
  OpenApiCustomizer problemResponses() {
    return openApi -> {
      Schema<?> problem = new ObjectSchema()
          .addProperty("type", new StringSchema())
          .addProperty("title", new StringSchema())
          .addProperty("status", new IntegerSchema())
          .addProperty("detail", new StringSchema().description("names the problem"))
          .addProperty("instance", new StringSchema());
      openApi.getComponents().addSchemas("Problem", problem);
      Content content = new Content().addMediaType("application/problem+json",
          new MediaType().schema(new Schema<>().$ref("#/components/schemas/Problem")));
      openApi.getPaths().values().forEach(path -> path.readOperations().forEach(operation ->
          new java.util.TreeMap<>(ERRORS).forEach((code, description) ->
              operation.getResponses().putIfAbsent(code, new ApiResponse().description(description).content(content)))));
    };
  }
}
