package io.headprune.support;

import com.networknt.schema.Schema;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;
import io.headprune.checkpoint.Json;
import io.headprune.problem.ProblemType;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatusCode;
import org.springframework.http.client.ClientHttpRequestInterceptor;
import org.springframework.http.client.ClientHttpResponse;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * The committed {@code openapi.yaml} as a checker of live responses: the status must be one the
 * operation describes, the media type one it names, required headers present, and a JSON body valid
 * against the response's schema. Every test client ({@link Instances#client}) checks every response
 * with it, so a response the contract does not describe fails the test that got it.
 */
public final class Contract {

  /** The project's contract, read once. */
  public static final Contract COMMITTED = new Contract(Path.of("openapi.yaml"));

  private final JsonNode document;
  private final List<Route> routes = new ArrayList<>();
  private final Map<String, Schema> schemas = new ConcurrentHashMap<>();
  private final SchemaRegistry registry =
      SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_2020_12);

  private record Route(String template, Pattern pattern, int parameters) {}

  public Contract(Path yaml) {
    try {
      Object tree = new Yaml(new LoaderOptions()).load(Files.readString(yaml));
      this.document = Json.MAPPER.valueToTree(tree);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    for (Iterator<String> it = document.get("paths").propertyNames().iterator(); it.hasNext(); ) {
      String template = it.next();
      String regex = Pattern.quote(template).replaceAll("\\{[^}/]+}", "\\\\E[^/]+\\\\Q");
      routes.add(new Route(template, Pattern.compile(regex), template.split("\\{", -1).length - 1));
    }
  }

  /** Checks every response a client receives; the body stays readable for the caller. */
  public ClientHttpRequestInterceptor interceptor() {
    return (request, body, execution) -> {
      ClientHttpResponse response = execution.execute(request, body);
      byte[] bytes;
      try (InputStream in = response.getBody()) {
        bytes = in.readAllBytes();
      }
      List<String> violations =
          violations(
              request.getMethod().name(),
              request.getURI().getRawPath(),
              response.getStatusCode().value(),
              response.getHeaders(),
              bytes);
      if (!violations.isEmpty()) {
        throw new AssertionError(
            request.getMethod()
                + " "
                + request.getURI().getRawPath()
                + " → "
                + response.getStatusCode().value()
                + " breaks openapi.yaml: "
                + String.join("; ", violations)
                + "\nbody: "
                + new String(bytes, 0, Math.min(bytes.length, 2000), StandardCharsets.UTF_8));
      }
      return new Buffered(response, bytes);
    };
  }

  /**
   * What is wrong with this response by the contract (empty: nothing). Paths outside {@code /v1}
   * (actuator, the API document) are not part of it.
   */
  public List<String> violations(
      String method, String path, int status, HttpHeaders headers, byte[] body) {
    List<String> violations = new ArrayList<>();
    if (!path.startsWith("/v1/") && !path.equals("/v1")) {
      return violations;
    }
    Route route =
        routes.stream()
            .filter(r -> r.pattern().matcher(path).matches())
            .min(Comparator.comparingInt(Route::parameters))
            .orElse(null);
    JsonNode operation =
        route == null
            ? null
            : document.get("paths").get(route.template()).get(method.toLowerCase(Locale.ROOT));
    if (operation == null) {
      // no operation: the answer can only be a refusal, and a refusal is a Problem
      List<Integer> refusals = route == null ? List.of(401, 403, 404) : List.of(401, 403, 405);
      if (!refusals.contains(status)) {
        violations.add(
            "no operation "
                + method
                + " "
                + path
                + " in the contract, yet the answer is "
                + status
                + " (expected one of "
                + refusals
                + ")");
        return violations;
      }
      checkBody(
          "#/components/schemas/Problem",
          "application/problem+json",
          "refusal",
          status,
          headers,
          body,
          violations);
      return violations;
    }
    JsonNode responses = operation.get("responses");
    String code = Integer.toString(status);
    JsonNode response = responses.has(code) ? responses.get(code) : responses.get("default");
    if (response == null) {
      violations.add(
          "status "
              + status
              + " is not among the operation's responses "
              + names(responses)
              + " ("
              + operation.path("operationId").asString()
              + ")");
      return violations;
    }
    JsonNode declaredHeaders = response.path("headers");
    for (Iterator<String> it = declaredHeaders.propertyNames().iterator(); it.hasNext(); ) {
      String header = it.next();
      if (declaredHeaders.get(header).path("required").asBoolean(false)
          && headers.getFirst(header) == null) {
        violations.add("required header " + header + " is missing");
      }
    }
    JsonNode content = response.get("content");
    if (content == null || content.isEmpty()) {
      if (body.length > 0 && !"HEAD".equals(method)) {
        violations.add(
            "the contract gives " + status + " no body, yet " + body.length + " bytes came");
      }
      return violations;
    }
    if ("HEAD".equals(method)) {
      return violations;
    }
    String mediaType = mediaType(headers);
    if (mediaType == null || !content.has(mediaType)) {
      violations.add(
          "Content-Type " + mediaType + " is not among " + names(content) + " for " + status);
      return violations;
    }
    String key = route.template() + " " + method + " " + code + " " + mediaType;
    JsonNode schema = content.get(mediaType).get("schema");
    if (schema != null && mediaType.endsWith("json")) {
      validate(key, schema, body, violations);
    }
    if (mediaType.equals("application/problem+json")) {
      checkProblem(status, body, violations);
    }
    return violations;
  }

  /** What is wrong with a JSON request body by the operation's request schema (empty: nothing). */
  public List<String> requestViolations(String method, String path, String body) {
    List<String> violations = new ArrayList<>();
    Route route =
        routes.stream()
            .filter(r -> r.pattern().matcher(path).matches())
            .min(Comparator.comparingInt(Route::parameters))
            .orElseThrow(() -> new IllegalArgumentException("no path " + path));
    JsonNode schema =
        document
            .get("paths")
            .get(route.template())
            .get(method.toLowerCase(Locale.ROOT))
            .path("requestBody")
            .path("content")
            .path("application/json")
            .get("schema");
    if (schema == null) {
      throw new IllegalArgumentException(method + " " + path + " takes no JSON body");
    }
    validate(
        "request " + route.template() + " " + method,
        schema,
        body.getBytes(StandardCharsets.UTF_8),
        violations);
    return violations;
  }

  private void checkBody(
      String ref,
      String expectedType,
      String key,
      int status,
      HttpHeaders headers,
      byte[] body,
      List<String> violations) {
    String mediaType = mediaType(headers);
    if (!expectedType.equals(mediaType)) {
      violations.add("Content-Type " + mediaType + " where " + expectedType + " is due");
      return;
    }
    validate(key, Json.MAPPER.createObjectNode().put("$ref", ref), body, violations);
    checkProblem(status, body, violations);
  }

  /**
   * A problem's {@code status} is the response's, and its {@code type} is the kind for that status
   * (a quota is 429, or 413 for stored bytes).
   */
  private static void checkProblem(int status, byte[] body, List<String> violations) {
    JsonNode problem;
    try {
      problem = Json.MAPPER.readTree(body);
    } catch (RuntimeException e) {
      return; // reported by the schema check
    }
    if (problem.path("status").asInt(-1) != status) {
      violations.add("the problem's status " + problem.path("status") + " is not " + status);
    }
    String type = problem.path("type").asString("");
    for (ProblemType kind : ProblemType.values()) {
      if (kind.uri().toString().equals(type)
          && kind.status() != status
          && !(kind == ProblemType.QUOTA_EXCEEDED && status == 413)) {
        violations.add("a " + type + " problem answers " + kind.status() + ", not " + status);
      }
    }
  }

  private void validate(String key, JsonNode schema, byte[] body, List<String> violations) {
    Schema compiled =
        schemas.computeIfAbsent(
            key,
            k -> {
              // the response's schema as the root, with the components its $refs point into
              ObjectNode root = (ObjectNode) schema.deepCopy();
              root.set("components", document.get("components"));
              return registry.getSchema(root);
            });
    JsonNode json;
    try {
      json = Json.MAPPER.readTree(body);
    } catch (RuntimeException e) {
      violations.add("the body is not JSON: " + e.getMessage());
      return;
    }
    compiled.validate(json).forEach(error -> violations.add(error.toString()));
  }

  private static String mediaType(HttpHeaders headers) {
    return headers.getContentType() == null
        ? null
        : headers.getContentType().getType() + "/" + headers.getContentType().getSubtype();
  }

  private static List<String> names(JsonNode object) {
    List<String> names = new ArrayList<>();
    object.propertyNames().forEach(names::add);
    return names;
  }

  /** A response whose body was read for checking, served again from memory. */
  private record Buffered(ClientHttpResponse response, byte[] bytes) implements ClientHttpResponse {
    @Override
    public HttpStatusCode getStatusCode() throws IOException {
      return response.getStatusCode();
    }

    @Override
    public String getStatusText() throws IOException {
      return response.getStatusText();
    }

    @Override
    public HttpHeaders getHeaders() {
      return response.getHeaders();
    }

    @Override
    public InputStream getBody() {
      return new ByteArrayInputStream(bytes);
    }

    @Override
    public void close() {
      response.close();
    }
  }
}
