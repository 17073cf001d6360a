package io.headprune.problem;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import tools.jackson.databind.json.JsonMapper;

/**
 * One RFC 9457 problem as every writer of headprune sends it — the API, the security layer, the
 * servlet filters, the web server's own error reports and a failed job: always {@code type}, {@code
 * title}, {@code status}, {@code detail} and {@code instance}, the last an occurrence id ({@code
 * urn:uuid:…}, never the request path: a 404 for another tenant's id echoes nothing of it), plus
 * the members a kind adds (a quota's {@code quota}, {@code limit}, {@code used}).
 *
 * @param type the kind's URI
 * @param title a short summary of the kind
 * @param status the HTTP status
 * @param detail what was wrong, in the request's terms
 * @param instance this occurrence, {@code urn:uuid:…}
 * @param extensions further members, in order (empty for most kinds)
 */
public record Problem(
    URI type,
    String title,
    int status,
    String detail,
    URI instance,
    Map<String, Object> extensions) {

  private static final JsonMapper COMPACT = JsonMapper.builder().build();

  public Problem {
    extensions = Map.copyOf(new LinkedHashMap<>(extensions));
  }

  /** A problem of {@code kind} with its usual status and title. */
  public static Problem of(ProblemType kind, String detail) {
    return of(kind, kind.status(), kind.title(), detail);
  }

  /** A problem of {@code kind} answered with {@code status} and {@code title}. */
  public static Problem of(ProblemType kind, int status, String title, String detail) {
    return new Problem(kind.uri(), title, status, detail, newInstance(), Map.of());
  }

  /** A fresh occurrence id. */
  public static URI newInstance() {
    return URI.create("urn:uuid:" + UUID.randomUUID());
  }

  /** The same problem with one more member. */
  public Problem with(String member, Object value) {
    Map<String, Object> more = new LinkedHashMap<>(extensions);
    more.put(member, value);
    return new Problem(type, title, status, detail, instance, more);
  }

  /** The members in the order they are written. */
  public Map<String, Object> members() {
    Map<String, Object> members = new LinkedHashMap<>();
    members.put("type", type.toString());
    members.put("title", title);
    members.put("status", status);
    members.put("detail", detail);
    members.put("instance", instance.toString());
    members.putAll(new TreeMap<>(extensions));
    return members;
  }

  /** The problem as compact UTF-8 JSON, the body of an {@code application/problem+json} answer. */
  public byte[] json() {
    return COMPACT.writeValueAsString(members()).getBytes(StandardCharsets.UTF_8);
  }

  /** The media type of {@link #json()} (UTF-8 by RFC 8259: no charset parameter). */
  public static final String MEDIA_TYPE = "application/problem+json";
}
