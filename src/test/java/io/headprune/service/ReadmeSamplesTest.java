package io.headprune.service;

import static org.assertj.core.api.Assertions.assertThat;

import io.headprune.checkpoint.Json;
import io.headprune.support.Contract;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import tools.jackson.databind.JsonNode;

/**
 * README.md's sample answers are what the API answers: every {@code $ curl …} of the service
 * examples whose answer is shown whole is checked against openapi.yaml, as live answers are — its
 * status among the operation's, its body valid against the (closed, required) schema. A sample that
 * drifts from the contract (a member missing, one the server no longer sends, a problem without its
 * occurrence id) fails here; tools/readme-example regenerates them from a real run.
 */
class ReadmeSamplesTest {

  private static final Pattern CURL_URL =
      Pattern.compile("['\"]?(?:https?://)?localhost:8080(/[^'\"\\s]*)['\"]?");

  private record Sample(String method, String path, int status, String body, int line) {}

  @Test
  void everyWholeSampleAnswerMeetsTheContract() throws IOException {
    List<Sample> samples = samples(Files.readAllLines(Path.of("README.md")));
    // the service example alone shows more than a dozen: a parser that finds none fails here
    assertThat(samples).hasSizeGreaterThan(12);
    List<String> broken = new ArrayList<>();
    for (Sample sample : samples) {
      HttpHeaders headers = new HttpHeaders();
      headers.set("Location", "/shown-or-not"); // curl -s shows no headers: only bodies are checked
      headers.setContentType(
          sample.status() >= 400 ? MediaType.APPLICATION_PROBLEM_JSON : MediaType.APPLICATION_JSON);
      List<String> violations =
          Contract.COMMITTED.violations(
              sample.method(),
              sample.path(),
              sample.status(),
              headers,
              sample.body().getBytes(StandardCharsets.UTF_8));
      if (!violations.isEmpty()) {
        broken.add(
            "README.md:"
                + sample.line()
                + " "
                + sample.method()
                + " "
                + sample.path()
                + " → "
                + sample.status()
                + ": "
                + violations);
      }
    }
    assertThat(broken).isEmpty();
  }

  /** The curl calls to /v1 whose answer follows on one line, as a whole JSON value. */
  private static List<Sample> samples(List<String> lines) {
    List<Sample> samples = new ArrayList<>();
    for (int i = 0; i < lines.size(); i++) {
      String line = lines.get(i).strip();
      if (!line.startsWith("$ curl ")) {
        continue;
      }
      int at = i + 1;
      StringBuilder command = new StringBuilder(line);
      while (command.toString().endsWith("\\") && at < lines.size()) {
        command.setLength(command.length() - 1);
        command.append(' ').append(lines.get(at++).strip());
      }
      // a -d body may span lines up to its closing quote
      while (count(command, '\'') % 2 == 1 && at < lines.size()) {
        command.append(' ').append(lines.get(at++).strip());
      }
      Matcher url = CURL_URL.matcher(command);
      String path = null;
      while (url.find()) {
        path = url.group(1);
      }
      if (path == null || !path.startsWith("/v1")) {
        continue;
      }
      path = URI.create(path.replace(" ", "%20")).getRawPath();
      String text = command.toString();
      Matcher explicit = Pattern.compile("-X\\s+(\\w+)").matcher(text);
      String method =
          explicit.find()
              ? explicit.group(1)
              : text.contains(" -F ") || text.contains(" -d ") ? "POST" : "GET";
      if (text.contains(" -o ")) {
        continue; // a download: its body went to a file
      }
      Integer status = null;
      if (at < lines.size() && lines.get(at).strip().startsWith("HTTP/1.1 ")) {
        status = Integer.parseInt(lines.get(at).strip().substring(9, 12));
        while (at < lines.size() && !lines.get(at).isBlank()) {
          at++;
        }
        at++;
      }
      if (at >= lines.size() || !lines.get(at).strip().startsWith("{")) {
        continue; // no answer shown (or only headers)
      }
      String body = lines.get(at).strip();
      JsonNode json;
      try {
        json = Json.MAPPER.readTree(body);
      } catch (RuntimeException e) {
        continue; // shown shortened or over several lines, as the text around it says
      }
      if (status == null) {
        status =
            json.has("status") && json.get("status").isInt() ? json.get("status").asInt() : 200;
        if ("POST".equals(method) && status == 200 && path.matches("/v1/(models|datasets|keys)")) {
          status = 201; // a new upload or key (the same bytes again would say 200, and the id)
        }
      }
      samples.add(new Sample(method, path, status, body, at + 1));
    }
    return samples;
  }

  private static int count(CharSequence text, char c) {
    int n = 0;
    for (int i = 0; i < text.length(); i++) {
      n += text.charAt(i) == c ? 1 : 0;
    }
    return n;
  }
}
