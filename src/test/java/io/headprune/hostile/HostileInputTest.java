package io.headprune.hostile;

import static org.assertj.core.api.Assertions.assertThat;

import io.headprune.checkpoint.Json;
import io.headprune.hostile.Payloads.Entry;
import io.headprune.support.Fixtures;
import io.headprune.support.Instances;
import io.headprune.support.ServiceTest;
import java.io.BufferedReader;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.regex.Pattern;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.core.io.ByteArrayResource;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.util.LinkedMultiValueMap;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * More than a thousand generated hostile inputs — mutated safetensors headers, truncated and
 * oversized files, path-traversal, link and device archives, zip bombs, deep and huge JSON, wrong
 * encodings, absurd configs, bad requests: each gets a 4xx problem+json, the service stays healthy,
 * and no row or file is left behind.
 */
@SuppressWarnings({"rawtypes", "unchecked"})
@ExtendWith(OutputCaptureExtension.class)
class HostileInputTest extends ServiceTest {

  /**
   * A malformed header line carrying a real key (a NUL byte in {@code Authorization}, a header
   * without a colon after it) is refused, and no log line repeats the key.
   */
  @Test
  void malformedHeadersWithAKeyLeaveNoKeyInTheLog(CapturedOutput output) throws IOException {
    String key = Instances.ADMIN_KEY;
    for (String header :
        List.of(
            "Authorization: Bearer " + key + "\u0000x",
            "Authorization: Bearer " + key + "\r\nbroken header line")) {
      try (Socket socket = new Socket("localhost", port)) {
        socket.setSoTimeout(10_000);
        socket
            .getOutputStream()
            .write(
                ("GET /v1/jobs HTTP/1.1\r\nHost: localhost\r\n" + header + "\r\n\r\n")
                    .getBytes(StandardCharsets.ISO_8859_1));
        socket.getOutputStream().flush();
        String status =
            new BufferedReader(
                    new InputStreamReader(socket.getInputStream(), StandardCharsets.ISO_8859_1))
                .readLine();
        assertThat(status).startsWith("HTTP/1.1 400");
      }
    }
    assertThat(output.getAll()).doesNotContain(key).doesNotContain(key.substring(0, 20));
  }

  /** Sends raw bytes as one request; returns the status line, the headers and the body. */
  private String raw(String request) throws IOException {
    try (Socket socket = new Socket("localhost", port)) {
      socket.setSoTimeout(10_000);
      socket.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
      socket.getOutputStream().flush();
      socket.shutdownOutput();
      return new String(socket.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
    }
  }

  /**
   * What the web server and the framework refuse before headprune's code runs — malformed header
   * lines, headers past the size limit, paths not in normal form, an encoded slash — is answered as
   * problem+json too, with a detail and no HTML page or framework error body.
   */
  @Test
  void errorsBeforeTheApplicationAreProblemsToo() throws IOException {
    String auth = "Authorization: Bearer " + Instances.ADMIN_KEY + "\r\n";
    Map<String, String> requests = new LinkedHashMap<>();
    requests.put(
        "NUL in a header",
        "GET /v1/jobs HTTP/1.1\r\nHost: localhost\r\nX-Note: a\u0000b\r\n" + auth + "\r\n");
    requests.put(
        "100 KB header",
        "GET /v1/jobs HTTP/1.1\r\nHost: localhost\r\nX-Big: "
            + "a".repeat(100_000)
            + "\r\n"
            + auth
            + "\r\n");
    requests.put(
        "encoded slash",
        "GET /v1/jobs%2f..%2fkeys HTTP/1.1\r\nHost: localhost\r\n" + auth + "\r\n");
    requests.put(
        "path parameter", "GET /v1;x/jobs HTTP/1.1\r\nHost: localhost\r\n" + auth + "\r\n");
    requests.put("double slash", "GET //v1/jobs HTTP/1.1\r\nHost: localhost\r\n" + auth + "\r\n");
    requests.put("dot segment", "GET /v1/./jobs HTTP/1.1\r\nHost: localhost\r\n" + auth + "\r\n");
    requests.put(
        "two keys",
        "GET /v1/jobs HTTP/1.1\r\nHost: localhost\r\n"
            + auth
            + auth.replace("hp_", "hp_x")
            + "\r\n");
    requests.put("the error page", "GET /error HTTP/1.1\r\nHost: localhost\r\n\r\n");
    for (var request : requests.entrySet()) {
      // one request per connection, closed after the answer
      String answer =
          raw(
              request
                  .getValue()
                  .replace("Host: localhost\r\n", "Host: localhost\r\nConnection: close\r\n"));
      String head = answer.substring(0, Math.max(0, answer.indexOf("\r\n\r\n")));
      String body = answer.substring(answer.indexOf("\r\n\r\n") + 4);
      assertThat(answer).as(request.getKey()).matches("(?s)HTTP/1\\.1 4\\d\\d .*");
      assertThat(head.toLowerCase(Locale.ROOT))
          .as(request.getKey() + "\n" + answer)
          .contains("content-type: application/problem+json");
      assertThat(body).as(request.getKey()).contains("\"detail\"").doesNotContain("<html");
      assertThat(leaksInternals(body)).as(request.getKey() + ": " + body).isFalse();
      assertThat(body).doesNotContain(Instances.ADMIN_KEY);
    }
  }

  /** One generated case: where it goes, what it is, and its bytes. */
  record Case(String kind, String path, String filename, byte[] body) {}

  @Autowired JdbcTemplate jdbc;

  @DynamicPropertySource
  static void limits(DynamicPropertyRegistry registry) {
    registry.add("headprune.upload.max-bytes", () -> "4MB");
    registry.add("headprune.upload.max-expanded-bytes", () -> "8MB");
    registry.add("headprune.upload.max-entries", () -> "50");
    registry.add("headprune.upload.max-compression-ratio", () -> "100");
    registry.add("headprune.dataset.max-rows", () -> "2000");
    registry.add("headprune.dataset.max-line-chars", () -> "20000");
  }

  private final Random random = new Random(20261129);
  private Map<String, byte[]> model;

  @Test
  void everyHostileInputGetsAProblemAndLeavesNothingBehind() throws IOException {
    model = ModelMutations.tinyBert();
    String modelId = (String) upload("/v1/models", exampleModelArchive()).get("id");
    String datasetId =
        (String) upload("/v1/datasets", Fixtures.tinyBert().resolve("calib.jsonl")).get("id");
    Map<String, Integer> before = counts();
    List<String> modelsBefore = listing("models");

    List<Case> cases = new ArrayList<>();
    // each kind of mutated header or config twice through the whole upload; every generated case
    // (420 and 160) goes to the model reader in ModelValidationTest
    cases.addAll(safetensorsMutations(24));
    cases.addAll(configMutations(32));
    cases.addAll(archiveAttacks(180));
    cases.addAll(datasetAttacks(180));
    cases.addAll(requestAttacks(180, modelId, datasetId));
    cases.addAll(oversized());
    cases.addAll(imageDatasetAttacks(60));
    cases.addAll(decoderConfigAttacks());
    cases.addAll(probedInputs(40));
    cases.addAll(secondProbe(modelId, datasetId));
    cases.addAll(thirdProbe());
    assertThat(cases.size())
        .isGreaterThanOrEqualTo(700); // and 580 at the reader: ModelValidationTest

    Map<Integer, Integer> statuses = new TreeMap<>();
    Map<String, Integer> kinds = new TreeMap<>();
    List<String> failures = new ArrayList<>();
    for (Case c : cases) {
      ResponseEntity<String> response;
      try {
        response = send(c);
      } catch (RuntimeException e) {
        failures.add(
            c.kind()
                + " "
                + c.filename()
                + " ("
                + c.body().length
                + " bytes) -> "
                + e.getMessage());
        continue;
      }
      int status = response.getStatusCode().value();
      statuses.merge(status, 1, Integer::sum);
      kinds.merge(c.kind().replaceAll("[#@].*", ""), 1, Integer::sum);
      String type = String.valueOf(response.getHeaders().getContentType());
      String body = response.getBody() == null ? "" : response.getBody();
      String names = c.kind().contains("@") ? c.kind().substring(c.kind().indexOf('@') + 1) : "";
      if (status < 400
          || status >= 500
          || !type.startsWith("application/problem+json")
          || !body.contains("\"detail\"")
          || !body.contains(names)
          || leaksInternals(body)) {
        failures.add(
            c.kind()
                + " -> "
                + status
                + " "
                + type
                + " "
                + body.substring(0, Math.min(300, body.length())));
      }
    }
    System.out.printf(
        "hostile inputs: %d cases; by kind %s; status codes %s%n", cases.size(), kinds, statuses);
    assertThat(failures).isEmpty();
    assertThat(get("/actuator/health").get("status")).isEqualTo("UP");
    assertThat(counts()).isEqualTo(before);
    assertThat(listing("models")).isEqualTo(modelsBefore);
    assertThat(listing("incoming")).isEmpty();
  }

  /** A server path, or a Java class or package name, in what the client reads. */
  private static boolean leaksInternals(String body) {
    return body.contains(DATA.toString())
        || Pattern.compile(
                "\\b(java|javax|io\\.headprune|tools\\.jackson|org\\.springframework)\\.[a-z]")
            .matcher(body)
            .find();
  }

  private ResponseEntity<String> send(Case c) {
    if (c.filename() == null) {
      return http.post()
          .uri(c.path())
          .contentType(MediaType.APPLICATION_JSON)
          .body(c.body())
          .retrieve()
          .toEntity(String.class);
    }
    LinkedMultiValueMap<String, Object> parts = new LinkedMultiValueMap<>();
    parts.add(
        "file",
        new ByteArrayResource(c.body()) {
          @Override
          public String getFilename() {
            return c.filename();
          }
        });
    return http.post()
        .uri(c.path())
        .contentType(MediaType.MULTIPART_FORM_DATA)
        .body(parts)
        .retrieve()
        .toEntity(String.class);
  }

  private Map<String, Integer> counts() {
    Map<String, Integer> counts = new TreeMap<>();
    for (String table : List.of("models", "datasets", "jobs", "artifacts", "scheduled_tasks")) {
      counts.put(table, jdbc.queryForObject("select count(*) from " + table, Integer.class));
    }
    return counts;
  }

  private static List<String> listing(String folder) throws IOException {
    Path dir = DATA.resolve("artifacts").resolve(folder);
    try (var files = Files.list(dir)) {
      return files.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }

  private Case modelCase(String kind, Map<String, byte[]> files) {
    boolean zip = random.nextInt(3) == 0;
    return zip
        ? new Case(kind, "/v1/models", "model.zip", Payloads.zip(files, Set.of()))
        : new Case(kind, "/v1/models", "model.tar.gz", Payloads.tarGz(Payloads.entries(files)));
  }

  // ---- safetensors headers -------------------------------------------------------------

  private List<Case> safetensorsMutations(int count) {
    return ModelMutations.safetensors(random, model, count).stream()
        .map(m -> modelCase("safetensors", m.files()))
        .toList();
  }

  private List<Case> configMutations(int count) {
    return ModelMutations.config(random, model, count).stream()
        .map(m -> modelCase("config", m.files()))
        .toList();
  }

  // ---- archives ------------------------------------------------------------------------

  private List<Case> archiveAttacks(int count) {
    List<Case> cases = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      List<Entry> entries =
          new ArrayList<>(
              Payloads.entries(model).iterator().hasNext()
                  ? (List<Entry>) Payloads.entries(model)
                  : List.of());
      String evil = "evil" + random.nextInt(1000) + ".txt";
      switch (i % 15) {
        case 0 -> entries.add(Entry.file("../" + evil, Payloads.utf8("x")));
        case 1 -> entries.add(Entry.file("a/../../" + evil, Payloads.utf8("x")));
        case 2 -> entries.add(Entry.file("/tmp/" + evil, Payloads.utf8("x")));
        case 3 ->
            entries.add(
                Entry.symlink(
                    "link" + i, List.of("/etc/passwd", "../../x", "/").get(random.nextInt(3))));
        case 4 -> entries.add(Entry.hardlink("hard" + i, "/etc/passwd"));
        case 5 ->
            entries.add(
                Entry.special(
                    "dev" + i,
                    List.of(TarConstants.LF_CHR, TarConstants.LF_BLK, TarConstants.LF_FIFO)
                        .get(random.nextInt(3))));
        case 6 -> {
          for (int n = 0; n < 60 + random.nextInt(100); n++) {
            entries.add(Entry.file("many/" + n, new byte[] {1}));
          }
        }
        case 7 ->
            entries.add(Entry.file("bomb.bin", new byte[9 * 1024 * 1024 + random.nextInt(1024)]));
        case 8 -> entries.add(Entry.file("config.json", model.get("config.json")));
        case 9 -> {
          String missing = List.of("config.json", "model.safetensors").get(random.nextInt(2));
          entries.removeIf(e -> e.name().equals(missing));
        }
        default -> {}
      }
      byte[] body;
      String filename = "model.tar.gz";
      switch (i % 15) {
        case 10 -> {
          Map<String, byte[]> files = new LinkedHashMap<>(model);
          files.put(
              List.of("../" + evil, "/abs/" + evil, "x/../../" + evil).get(random.nextInt(3)),
              new byte[] {1});
          body = Payloads.zip(files, Set.of());
          filename = "model.zip";
        }
        case 11 -> {
          Map<String, byte[]> files = new LinkedHashMap<>(model);
          files.put("config.json", Payloads.utf8("/etc/passwd"));
          body = Payloads.zip(files, Set.of("config.json"));
          filename = "model.zip";
        }
        case 12 -> {
          Map<String, byte[]> files = new LinkedHashMap<>(model);
          files.put("zeros.bin", new byte[5 * 1024 * 1024 + random.nextInt(4096)]);
          body = Payloads.zip(files, Set.of());
          filename = "model.zip";
        }
        case 13 -> {
          byte[] whole = Payloads.tarGz(entries);
          body = Arrays.copyOf(whole, 10 + random.nextInt(whole.length - 20));
        }
        case 14 -> {
          body = new byte[1 + random.nextInt(4096)];
          random.nextBytes(body);
          filename =
              List.of("model.tar.gz", "model.zip", "model.tgz", "model.bin", "model")
                  .get(random.nextInt(5));
        }
        default -> body = Payloads.tarGz(entries);
      }
      cases.add(new Case("archive#" + (i % 15), "/v1/models", filename, body));
    }
    return cases;
  }

  // ---- what outside probes found --------------------------------------------------------

  private static byte[] gzip(byte[] content) {
    var bytes = new ByteArrayOutputStream();
    try (var gzip = new GZIPOutputStream(bytes)) {
      gzip.write(content);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return bytes.toByteArray();
  }

  private static byte[] concat(byte[]... parts) {
    var out = new ByteArrayOutputStream();
    for (byte[] part : parts) {
      out.writeBytes(part);
    }
    return out.toByteArray();
  }

  /** A plain tar of the model files (the gzip is added by the caller). */
  private byte[] modelTar() {
    byte[] tarGz = Payloads.tarGz(Payloads.entries(model));
    try (var in = new GZIPInputStream(new ByteArrayInputStream(tarGz))) {
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Replaces the second occurrence of {@code from} (a zip's central directory) by {@code to}. */
  private static byte[] patchSecond(byte[] bytes, String from, String to) {
    byte[] a = Payloads.utf8(from);
    byte[] out = bytes.clone();
    int seen = 0;
    for (int i = 0; i + a.length <= out.length; i++) {
      if (Arrays.equals(out, i, i + a.length, a, 0, a.length) && seen++ == 1) {
        System.arraycopy(Payloads.utf8(to), 0, out, i, a.length);
        return out;
      }
    }
    throw new IllegalStateException(from);
  }

  /**
   * The inputs outside probes got past the service: bombs by ratio hidden after a valid model (a
   * second gzip member, zeros after the tar's end), streams cut after the model's files, zips whose
   * two directories disagree, names with bidirectional overrides or differing only by case, keys
   * given twice, NUL in a file name.
   */
  private List<Case> probedInputs(int count) {
    List<Case> cases = new ArrayList<>();
    byte[] tar = modelTar();
    for (int i = 0; i < count; i++) {
      int zeros = (10 + random.nextInt(4)) << 20; // past the 8 MB this test allows expanded
      switch (i % 10) {
        case 0 ->
            cases.add(
                new Case(
                    "probe#bomb-second-member@after the end",
                    "/v1/models",
                    "model.tar.gz",
                    concat(
                        gzip(tar),
                        Payloads.tarGz(List.of(Entry.file("zeros.bin", new byte[zeros]))))));
        case 1 ->
            cases.add(
                new Case(
                    "probe#zeros-after-end@expands to more than",
                    "/v1/models",
                    "model.tar.gz",
                    gzip(concat(tar, new byte[zeros]))));
        case 2 -> {
          byte[] second = Payloads.tarGz(List.of(Entry.file("extra.bin", randomBytes(8192))));
          cases.add(
              new Case(
                  "probe#cut-second-member",
                  "/v1/models",
                  "model.tar.gz",
                  concat(gzip(tar), Arrays.copyOf(second, 1 + random.nextInt(second.length - 2)))));
        }
        case 3 ->
            cases.add(
                new Case(
                    "probe#data-after-end@after the end",
                    "/v1/models",
                    "model.tar.gz",
                    gzip(concat(tar, randomBytes(512 + random.nextInt(4096))))));
        case 4 ->
            cases.add(
                new Case(
                    "probe#zip-directories-disagree@disagree",
                    "/v1/models",
                    "model.zip",
                    patchSecond(Payloads.zip(model, Set.of()), "vocab.txt", "vocab.exe")));
        case 5 -> {
          Map<String, byte[]> files = new LinkedHashMap<>(model);
          String name =
              List.of("\u202egnp.exe", "a\u2066b.txt", "tab\there.txt").get(random.nextInt(3));
          files.put(name, new byte[] {1});
          cases.add(modelCase("probe#control-in-name@character", files));
        }
        case 6 -> {
          Map<String, byte[]> files = new LinkedHashMap<>(model);
          files.put("Config.json", model.get("config.json"));
          cases.add(modelCase("probe#names-by-case@differ only by case", files));
        }
        case 7 -> {
          String config = new String(model.get("config.json"), StandardCharsets.UTF_8);
          String twice =
              config.replaceFirst(
                  "\\{", "{\"num_attention_heads\": " + (1 + random.nextInt(8)) + ", ");
          cases.add(
              modelCase(
                  "probe#config-key-twice@num_attention_heads",
                  Payloads.model(model, Map.of("config.json", Payloads.utf8(twice)))));
        }
        case 8 ->
            cases.add(
                new Case(
                    "probe#dataset-key-twice@Duplicate",
                    "/v1/datasets",
                    "data.jsonl",
                    Payloads.utf8(
                        List.of(
                                "{\"text\": \"a\", \"text\": \"b\", \"label\": 1}\n",
                                "{\"text\": \"a\", \"label\": 1, \"label\": 0}\n")
                            .get(random.nextInt(2)))));
        default ->
            cases.add(
                new Case(
                    "probe#nul-in-file-name@file name",
                    "/v1/datasets",
                    "da\0ta" + random.nextInt(100) + ".jsonl",
                    Payloads.utf8("{\"text\": \"a\", \"label\": 1}\n")));
      }
    }
    return cases;
  }

  /** The inputs a second probe answered with 500. */
  private List<Case> secondProbe(String modelId, String datasetId) {
    List<Case> cases = new ArrayList<>();
    String config = new String(model.get("config.json"), StandardCharsets.UTF_8);
    for (String replacement :
        List.of(
            "\"num_hidden_layers\": 9223372036854775807, ",
            "\"num_hidden_layers\": 1e400, ",
            "\"id2label\": {\"0\": 5, \"1\": [1]}, ",
            "\"id2label\": {\"0\": null, \"1\": \"b\"}, ",
            "\"label2id\": {\"a\": \"zero\", \"b\": 1}, ")) {
      String key = replacement.substring(1, replacement.indexOf('"', 1));
      String mutated = config.replaceAll("\"" + key + "\"\\s*:\\s*(\\{[^}]*\\}|[^,}]*),?", "");
      mutated = mutated.replaceFirst("\\{", "{" + replacement);
      cases.add(
          modelCase(
              "probe2#config-" + key,
              Payloads.model(model, Map.of("config.json", Payloads.utf8(mutated)))));
    }
    String base =
        "\"model\": {\"id\": \""
            + modelId
            + "\"}, \"calibration\": {\"id\": \""
            + datasetId
            + "\"}";
    for (String extra :
        List.of(
            "\"criteria\": [null]",
            "\"criteria\": [\"hies\", null]",
            "\"sparsities\": [null]",
            "\"seeds\": null, \"criteria\": [{}]",
            "\"target\": {\"sparsity\": null}")) {
      cases.add(
          new Case(
              "probe2#request", "/v1/jobs", null, Payloads.utf8("{" + base + ", " + extra + "}")));
    }
    // a 10 KB file name: the part's headers exceed the parser's limit, which the problem names
    cases.add(
        new Case(
            "probe2#long-file-name@limit",
            "/v1/datasets",
            "d".repeat(10_000) + ".jsonl",
            Payloads.utf8("{\"text\": \"a\", \"label\": 1}\n")));
    return cases;
  }

  /**
   * The second probe's "accepted, then wrong" and costly inputs: a NaN weight, a padding id past
   * the vocabulary, tokenizers the native library would spend minutes building, absolute names in
   * each place a tar gives them, a directory declaring data, a zip declaring more entries than the
   * limit.
   */
  private List<Case> thirdProbe() {
    List<Case> cases = new ArrayList<>();
    // a NaN in the first floating-point tensor
    byte[] weights = model.get("model.safetensors").clone();
    ByteBuffer buffer = ByteBuffer.wrap(weights).order(ByteOrder.LITTLE_ENDIAN);
    int headerLength = (int) buffer.getLong(0);
    ObjectNode header =
        (ObjectNode) Json.MAPPER.readTree(Arrays.copyOfRange(weights, 8, 8 + headerLength));
    for (var tensor : header.properties()) {
      if (tensor.getValue().path("dtype").asString("").equals("F32")) {
        int at = 8 + headerLength + tensor.getValue().get("data_offsets").get(0).asInt();
        buffer.putFloat(at + 4, Float.NaN);
        cases.add(
            modelCase(
                "probe3#nan-weight@" + tensor.getKey(),
                Payloads.model(model, Map.of("model.safetensors", weights))));
        break;
      }
    }
    ObjectNode config = (ObjectNode) Json.MAPPER.readTree(model.get("config.json"));
    config.put("pad_token_id", 1_000_000_000);
    cases.add(
        modelCase(
            "probe3#pad-token@pad_token_id",
            Payloads.model(model, Map.of("config.json", Payloads.utf8(config.toString())))));
    ObjectNode tokenizer = (ObjectNode) Json.MAPPER.readTree(model.get("tokenizer.json"));
    ArrayNode added = (ArrayNode) tokenizer.get("added_tokens");
    for (int i = 0; i < 20_001; i++) {
      added.addObject().put("id", 100_000 + i).put("content", "t" + i).put("special", false);
    }
    cases.add(
        modelCase(
            "probe3#added-tokens@added_tokens",
            Payloads.model(model, Map.of("tokenizer.json", Payloads.utf8(tokenizer.toString())))));
    ObjectNode regex = (ObjectNode) Json.MAPPER.readTree(model.get("tokenizer.json"));
    regex
        .putObject("pre_tokenizer")
        .put("type", "Split")
        .put("behavior", "Isolated")
        .put("invert", false)
        .putObject("pattern")
        .put("Regex", "(a+)+" + "x".repeat(5000));
    cases.add(
        modelCase(
            "probe3#regex@regex",
            Payloads.model(model, Map.of("tokenizer.json", Payloads.utf8(regex.toString())))));
    for (String name :
        List.of("/etc/cron.d/evil", "/" + "a".repeat(120) + "/evil" /* a PAX path record */)) {
      List<Entry> entries = new ArrayList<>();
      Payloads.entries(model).forEach(entries::add);
      entries.add(Entry.file(name, Payloads.utf8("* * * * * root true\n")));
      cases.add(
          new Case(
              "probe3#absolute@absolute path",
              "/v1/models",
              "abs.tar.gz",
              Payloads.tarGz(entries)));
    }
    // a directory entry declaring 4 GiB: refused at its header, nothing skipped
    byte[] directory = new byte[512];
    System.arraycopy(Payloads.utf8("model/"), 0, directory, 0, 6);
    System.arraycopy(Payloads.utf8("0000755\0"), 0, directory, 100, 8);
    System.arraycopy(Payloads.utf8(String.format("%011o\0", 4L << 30)), 0, directory, 124, 12);
    directory[156] = '5';
    System.arraycopy(Payloads.utf8("ustar\0" + "00"), 0, directory, 257, 8);
    Arrays.fill(directory, 148, 156, (byte) ' ');
    int sum = 0;
    for (byte b : directory) {
      sum += b & 0xff;
    }
    System.arraycopy(Payloads.utf8(String.format("%06o\0 ", sum)), 0, directory, 148, 8);
    cases.add(
        new Case(
            "probe3#directory-with-data@directory",
            "/v1/models",
            "dir.tar.gz",
            gzip(concat(directory, new byte[8192]))));
    // a zip whose end record declares 600,000 entries (the counts are 16 bits: 0xFFFF and a
    // Zip64 record would say more; the 16-bit count past the limit of 50 is enough here)
    byte[] zip = Payloads.zip(model, Set.of());
    int end = zip.length - 22;
    zip[end + 8] = zip[end + 10] = (byte) 0xF0;
    zip[end + 9] = zip[end + 11] = (byte) 0xFF;
    cases.add(new Case("probe3#zip-count@declares", "/v1/models", "many.zip", zip));
    return cases;
  }

  private byte[] randomBytes(int size) {
    byte[] bytes = new byte[size];
    random.nextBytes(bytes);
    return bytes;
  }

  // ---- datasets ------------------------------------------------------------------------

  private List<Case> datasetAttacks(int count) {
    List<Case> cases = new ArrayList<>();
    String good = "{\"text\": \"cat dog\", \"label\": 1}\n";
    for (int i = 0; i < count; i++) {
      String name = "data.jsonl";
      byte[] body;
      switch (i % 18) {
        case 0 -> {
          body = new byte[16 + random.nextInt(1024)];
          random.nextBytes(body);
          body[random.nextInt(body.length - 1)] = (byte) 0xC3;
          body[body.length - 1] = (byte) 0x28;
        }
        case 1 -> body = ("\uFEFF" + good).getBytes(StandardCharsets.UTF_16LE);
        case 2 ->
            body =
                "{\"text\": \"caf\u00e9 dog\", \"label\": 1}\n"
                    .getBytes(StandardCharsets.ISO_8859_1);
        case 3 ->
            body =
                Payloads.utf8(
                    good.repeat(1 + random.nextInt(5)) + "not json " + random.nextInt() + "\n");
        case 4 ->
            body =
                Payloads.utf8(
                    List.of("[1, 2]", "42", "\"text\"", "true").get(random.nextInt(4)) + "\n");
        case 5 -> { // a row without "text" is fine now (columns are mapped per job): a bad JSON
          // file
          name = "data.json";
          body =
              Payloads.utf8(
                  List.of("[1, 2]", "{\"data\": 7}", "[{\"text\": ").get(random.nextInt(3)));
        }
        case 6 ->
            body =
                Payloads.utf8(
                    "{\"text\": "
                        + List.of("1", "null", "[]", "{}").get(random.nextInt(4))
                        + "}\n");
        case 7 ->
            body = Payloads.utf8("{\"text\": \"a\", \"text_pair\": " + random.nextInt() + "}\n");
        case 8 ->
            body =
                Payloads.utf8(
                    "{\"text\": \"a\", \"label\": "
                        + List.of("true", "{}", "[1]").get(random.nextInt(3))
                        + "}\n");
        case 9 -> {
          int depth = 70 + random.nextInt(3000);
          body =
              Payloads.utf8(
                  "{\"text\": \"a\", \"x\": " + "[".repeat(depth) + "]".repeat(depth) + "}\n");
        }
        case 10 ->
            body =
                Payloads.utf8(
                    "{\"text\": \"" + "a".repeat(20001 + random.nextInt(10000)) + "\"}\n");
        case 11 -> body = Payloads.utf8(good.repeat(2001 + random.nextInt(100)));
        case 12 -> body = Payloads.utf8("\n".repeat(random.nextInt(5)));
        case 13 -> {
          name = List.of("data.csv.gz", "data.jsonl.zst").get(random.nextInt(2));
          body = Payloads.utf8("sentence,label\nhello,1\n"); // not compressed
        }
        case 14 -> {
          name = "data.csv";
          body = Payloads.utf8("text,label\n\"unterminated,1\nx" + random.nextInt() + ",0\n");
        }
        case 15 -> {
          name = "data.parquet";
          byte[] head = "PAR1".getBytes(StandardCharsets.US_ASCII);
          body = new byte[64 + random.nextInt(512)];
          random.nextBytes(body);
          System.arraycopy(head, 0, body, 0, 4);
          System.arraycopy(head, 0, body, body.length - 4, 4);
        }
        case 16 -> {
          name = List.of("data.txt", "data.parquet", "data.json", "data").get(random.nextInt(4));
          body = Payloads.utf8(good);
        }
        default -> body = Payloads.utf8("{\"text\": \"a\"" + "}".repeat(0) + "\n{\"text\": ");
      }
      cases.add(new Case("dataset", "/v1/datasets", name, body));
    }
    return cases;
  }

  // ---- decoder configs -----------------------------------------------------------------

  /** Grouped-query and GPT-2 configs the engine must refuse, each problem naming the key. */
  private List<Case> decoderConfigAttacks() throws IOException {
    List<Case> cases = new ArrayList<>();
    Map<String, String> llama = new LinkedHashMap<>();
    llama.put("num_key_value_heads", "3");
    llama.put("head_dim", "12");
    llama.put("rope_scaling", "{\"type\": \"ntk\", \"factor\": 2.0}");
    llama.put("rope_scaling ", "{\"rope_type\": \"llama3\", \"factor\": 8.0}");
    llama.put("rope_scaling  ", "{\"rope_type\": \"linear\", \"factor\": -2.0}");
    llama.put("rope_scaling   ", "{\"rope_type\": \"longrope\", \"short_factor\": [1.0]}");
    llama.put("rope_parameters", "{\"full_attention\": {\"rope_type\": \"default\"}}");
    llama.put("hidden_act", "\"gelu\"");
    llama.put("partial_rotary_factor", "0.5");
    llama.put("pruned_heads", "{\"0\": [1]}");
    llama.put("num_attention_heads", "0");
    llama.put("rope_theta", "-1");
    addDecoderCases(cases, "tiny-llama-gqa", llama);
    Map<String, String> gemma = new LinkedHashMap<>();
    gemma.put("query_pre_attn_scalar", "0");
    gemma.put("attn_logit_softcapping", "-1.0");
    gemma.put("final_logit_softcapping", "0");
    gemma.put("sliding_window", "0");
    gemma.put("layer_types", "[\"sliding_attention\"]");
    gemma.put("use_bidirectional_attention", "true");
    gemma.put("hidden_activation", "\"relu\"");
    gemma.put("rope_scaling", "{\"rope_type\": \"linear\", \"factor\": 2.0}");
    addDecoderCases(cases, "tiny-gemma2", gemma);
    Map<String, String> phi = new LinkedHashMap<>();
    phi.put("intermediate_size", "48"); // the fused gate_up_proj holds 2 × 64 rows
    phi.put("num_key_value_heads", "4"); // the fused qkv_proj holds (4 + 2 · 2) · 16 rows
    phi.put("partial_rotary_factor", "0.1");
    phi.put("rope_scaling", "{\"type\": \"longrope\", \"long_factor\": [1.0]}");
    addDecoderCases(cases, "tiny-phi3", phi);
    Map<String, String> gpt2 = new LinkedHashMap<>();
    gpt2.put("activation_function", "\"relu\"");
    gpt2.put("scale_attn_by_inverse_layer_idx", "true");
    gpt2.put("n_head", "5");
    gpt2.put("n_inner", "7");
    addDecoderCases(cases, "tiny-gpt2", gpt2);
    return cases;
  }

  private void addDecoderCases(List<Case> cases, String fixture, Map<String, String> mutations)
      throws IOException {
    Map<String, byte[]> files =
        ModelMutations.files(
            Fixtures.resource("fixtures/" + fixture),
            List.of(
                "config.json",
                "model.safetensors",
                "tokenizer.json",
                "tokenizer_config.json",
                "special_tokens_map.json"));
    String config = new String(files.get("config.json"), StandardCharsets.UTF_8);
    for (Map.Entry<String, String> mutation : mutations.entrySet()) {
      String key = mutation.getKey().strip();
      ObjectNode edited = (ObjectNode) Json.MAPPER.readTree(config);
      edited.set(key, Json.MAPPER.readTree(mutation.getValue()));
      Map<String, byte[]> changed =
          Payloads.model(files, Map.of("config.json", Payloads.utf8(edited.toString())));
      cases.add(
          new Case(
              "decoder@" + key,
              "/v1/models",
              "model.tar.gz",
              Payloads.tarGz(Payloads.entries(changed))));
    }
  }

  // ---- image datasets ------------------------------------------------------------------

  /** Image-dataset archives: each case's kind names, after '#', what its problem must mention. */
  private List<Case> imageDatasetAttacks(int count) throws IOException {
    byte[] png = Payloads.image("png", 8, 8);
    byte[] jpeg = Payloads.image("jpeg", 32, 32);
    List<Case> cases = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      Map<String, byte[]> files = new LinkedHashMap<>();
      String expect;
      switch (i % 12) {
        case 0 -> {
          files.put("images/bomb.png", Payloads.pngHeaderOnly(100_000, 100_000));
          expect = "images/bomb.png declares 100000 × 100000 pixels";
        }
        case 1 -> {
          files.put("images/cut.png", Arrays.copyOf(png, 20 + random.nextInt(png.length - 30)));
          expect = "images/cut.png";
        }
        case 2 -> {
          byte[] broken = Arrays.copyOf(jpeg, jpeg.length);
          for (int b = 2; b < broken.length; b += 3) {
            broken[b] = (byte) random.nextInt(256);
          }
          files.put("images/noise.jpg", broken);
          expect = "images/noise.jpg";
        }
        case 3 -> {
          files.put(
              "images/cut.jpg",
              Arrays.copyOf(jpeg, jpeg.length / 2 + random.nextInt(jpeg.length / 3)));
          expect = "images/cut.jpg";
        }
        case 4 -> {
          files.put("images/text.png", Payloads.utf8("not an image " + random.nextInt()));
          expect = "images/text.png is not a PNG or JPEG file";
        }
        case 5 -> {
          files.put("images/ok.png", png);
          cases.add(
              imageDataset(
                  "image@leaves the dataset",
                  "{\"image\": \"images/../../ok.png\", \"label\": 0}\n",
                  files));
          continue;
        }
        case 6 -> {
          files.put("images/ok.png", png);
          cases.add(
              imageDataset(
                  "image@is absolute", "{\"image\": \"/etc/hostname\", \"label\": 0}\n", files));
          continue;
        }
        case 7 -> {
          files.put("images/ok.png", png);
          cases.add(
              imageDataset(
                  "image@images/missing.png' does not exist",
                  "{\"image\": \"images/missing.png\", \"label\": 0}\n",
                  files));
          continue;
        }
        case 8 -> {
          files.put("images/ok.png", png);
          cases.add(
              imageDataset(
                  "image@more than 2000 rows",
                  "{\"image\": \"images/ok.png\", \"label\": 0}\n"
                      .repeat(2001 + random.nextInt(50)),
                  files));
          continue;
        }
        case 9 -> {
          files.put("images/ok.png", png);
          cases.add(
              imageDataset(
                  "image@\\\"image\\\" is missing", "{\"text\": \"a\", \"label\": 0}\n", files));
          continue;
        }
        case 10 -> {
          files.put("images/ok.png", png);
          files.put("other.jsonl", Payloads.utf8("{\"image\": \"images/ok.png\"}\n"));
          expect = "exactly one .jsonl";
        }
        default -> {
          files.put("images/deep.png", Payloads.image("png16", 4, 4));
          expect = "images/deep.png has 16-bit samples";
        }
      }
      String first = files.keySet().iterator().next();
      cases.add(
          imageDataset("image@" + expect, "{\"image\": \"" + first + "\", \"label\": 1}\n", files));
    }
    return cases;
  }

  private Case imageDataset(String kind, String jsonl, Map<String, byte[]> images) {
    Map<String, byte[]> files = new LinkedHashMap<>();
    files.put("data.jsonl", Payloads.utf8(jsonl));
    files.putAll(images);
    return random.nextBoolean()
        ? new Case(kind, "/v1/datasets", "images.zip", Payloads.zip(files, Set.of()))
        : new Case(kind, "/v1/datasets", "images.tar.gz", Payloads.tarGz(Payloads.entries(files)));
  }

  // ---- job requests --------------------------------------------------------------------

  private List<Case> requestAttacks(int count, String modelId, String datasetId) {
    String valid =
        "{\"model\": {\"id\": \""
            + modelId
            + "\"}, \"calibration\": {\"id\": \""
            + datasetId
            + "\"}";
    List<Case> cases = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      String body;
      switch (i % 14) {
        case 0 -> {
          String whole = valid + ", \"seeds\": 2}";
          body = whole.substring(0, random.nextInt(whole.length() - 1));
        }
        case 1 ->
            body =
                valid
                    + ", \"seeds\": "
                    + List.of("0", "-1", "1000000000", "\"x\"", "2.5").get(random.nextInt(5))
                    + "}";
        case 2 -> body = valid + ", \"sparsities\": [" + (1 + random.nextInt(1000)) + ".5]}";
        case 3 ->
            body =
                valid
                    + ", \"criteria\": [\""
                    + UUID.randomUUID().toString().substring(0, 6)
                    + "\"]}";
        case 4 ->
            body =
                valid
                    + ", \"batchSize\": "
                    + List.of("0", "100000", "-5").get(random.nextInt(3))
                    + "}";
        case 5 ->
            body =
                valid
                    + ", \"alpha\": "
                    + List.of("\"often\"", "1.5", "-0.1", "\"2\"").get(random.nextInt(4))
                    + "}";
        case 6 ->
            body =
                valid
                    + ", \"target\": "
                    + List.of(
                            "{}",
                            "{\"sparsity\": 0.3, \"maxMetricDrop\": 0.1}",
                            "{\"sparsity\": 1.5}",
                            "{\"maxMetricDrop\": -1}")
                        .get(random.nextInt(4))
                    + "}";
        case 7 ->
            body =
                "{\"model\": {\"id\": \""
                    + UUID.randomUUID()
                    + "\"}, \"calibration\": {\"id\": \""
                    + datasetId
                    + "\"}}";
        case 8 ->
            body =
                "{\"model\": {\"id\": \""
                    + modelId
                    + "\"}, \"calibration\": {\"id\": \""
                    + UUID.randomUUID()
                    + "\"}}";
        case 9 ->
            body =
                "{\"model\": {\"hub\": \""
                    + List.of("../x", "a/b/c", "/x", "x y").get(random.nextInt(4))
                    + "\"}, \"calibration\": {\"id\": \""
                    + datasetId
                    + "\"}}";
        case 10 -> {
          int depth = 600 + random.nextInt(5000);
          body = "{\"model\": " + "[".repeat(depth) + "]".repeat(depth) + "}";
        }
        case 11 ->
            body =
                valid + ", \"sparsities\": [" + "0.1,".repeat(50 + random.nextInt(500)) + "0.2]}";
        case 12 ->
            body =
                "{\"model\": {\"id\": \""
                    + modelId
                    + "\", \"hub\": \"org/x\"}, \"calibration\": {\"id\": \""
                    + datasetId
                    + "\"}}";
        default -> {
          byte[] junk = new byte[1 + random.nextInt(256)];
          random.nextBytes(junk);
          body = new String(junk, StandardCharsets.ISO_8859_1);
        }
      }
      cases.add(
          new Case(
              "request#" + (i % 14), "/v1/jobs", null, body.getBytes(StandardCharsets.ISO_8859_1)));
    }
    cases.add(
        new Case(
            "request",
            "/v1/jobs",
            null,
            Payloads.utf8(valid + ", \"x\": \"" + "a".repeat(2 << 20) + "\"}")));
    return cases;
  }

  private List<Case> oversized() {
    List<Case> cases = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      byte[] big = new byte[(5 << 20) + random.nextInt(1 << 20)];
      random.nextBytes(big);
      cases.add(
          new Case(
              "oversized",
              i % 2 == 0 ? "/v1/models" : "/v1/datasets",
              i % 2 == 0 ? "big.tar.gz" : "big.jsonl",
              big));
    }
    return cases;
  }
}
