package io.headprune.checkpoint;

import io.headprune.problem.InvalidInputException;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A {@code tokenizer.json} whose encoding runs in a child process. The tokenizers library aborts
 * its process on some inputs — a regex that exceeds Oniguruma's backtracking limit panics inside
 * native code, and the panic cannot cross into Java — so a service worker encodes untrusted texts
 * with untrusted regexes where an abort ends only the child: the job fails with a problem naming
 * the text, and the worker lives on. The tokenizer is also built here, in this process, so that it
 * is checked (and refused by name) where it is opened.
 */
final class IsolatedTokenizer implements TextTokenizer {

  private final HfTokenizer local;
  private final Path json;
  private final int maxLength;
  private Process child;
  private Path errors;
  private DataOutputStream requests;
  private DataInputStream answers;
  private int encoded;

  IsolatedTokenizer(Path json, int maxLength) {
    this.local = HfTokenizer.open(json, maxLength);
    this.json = json;
    this.maxLength = maxLength;
  }

  @Override
  public int maxCharacters() {
    return local.maxCharacters();
  }

  @Override
  public synchronized Tokens encode(String text, String pair) {
    return pair == null
        ? call(TokenizerProcess.ENCODE, text, null)
        : call(TokenizerProcess.ENCODE_PAIR, text, pair);
  }

  @Override
  public synchronized Tokens encodePlain(String text) {
    return call(TokenizerProcess.ENCODE_PLAIN, text, null);
  }

  @Override
  public synchronized Tokens encodeAll(String text, boolean specialTokens) {
    return call(
        specialTokens ? TokenizerProcess.ENCODE_ALL_SPECIAL : TokenizerProcess.ENCODE_ALL,
        text,
        null);
  }

  private Tokens call(byte operation, String text, String pair) {
    try {
      if (child == null) {
        start();
      }
      requests.writeByte(operation);
      TokenizerProcess.writeText(requests, text);
      if (pair != null) {
        TokenizerProcess.writeText(requests, pair);
      }
      requests.flush();
      byte status = answers.readByte();
      if (status != TokenizerProcess.OK) {
        throw new InvalidInputException(
            "tokenizer.json cannot encode a text: " + answers.readUTF());
      }
      Tokens tokens = TokenizerProcess.readTokens(answers);
      encoded++;
      return tokens;
    } catch (IOException died) {
      throw aborted(text);
    }
  }

  /** The child died while encoding {@code text}: what it last said, and which text it was. */
  private InvalidInputException aborted(String text) {
    String said = "";
    if (child != null) {
      try {
        child.waitFor(5, TimeUnit.SECONDS);
        // the native library's own words (the panic's error), not the child's log lines
        said =
            Files.readString(errors, StandardCharsets.UTF_8)
                .lines()
                .filter(line -> line.matches("(?i).*error.*") && !line.contains("panicked at"))
                .filter(line -> !line.matches("^\\d\\d:\\d\\d:\\d\\d.*|^SLF4J.*"))
                .findFirst()
                .map(line -> line.replaceAll("/\\S+", "…")) // no paths of the build or server
                .map(line -> line.length() > 300 ? line.substring(0, 300) + "…" : line)
                .orElse("");
      } catch (IOException e) {
        said = "";
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      child.destroyForcibly();
      child = null;
      deleteErrors();
    }
    return new InvalidInputException(
        "the tokenizers library aborted while encoding text "
            + (encoded + 1)
            + " ("
            + text.length()
            + " characters"
            + (said.isEmpty() ? "" : ": " + InvalidInputException.plain(said))
            + "); a tokenizer.json regex that backtracks without bound does this. It ran in a"
            + " process of its own: nothing else was affected");
  }

  private void start() throws IOException {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.add("-Xmx256m");
    command.add("-XX:+UseSerialGC");
    command.add("-XX:TieredStopAtLevel=1");
    command.addAll(TokenizerProcess.launch());
    command.add(json.toAbsolutePath().toString());
    command.add(Integer.toString(maxLength));
    // what the child says (a panic's message) goes to a file: a pipe nobody reads could fill
    errors = Files.createTempFile("headprune-tokenizer", ".log");
    child = new ProcessBuilder(command).redirectError(errors.toFile()).start();
    requests = new DataOutputStream(new BufferedOutputStream(child.getOutputStream(), 1 << 16));
    answers = new DataInputStream(new BufferedInputStream(child.getInputStream(), 1 << 16));
    if (answers.readInt() != TokenizerProcess.MAGIC) {
      child.destroyForcibly();
      throw new IllegalStateException("the tokenizer process wrote something else to its stdout");
    }
    if (answers.readByte() != TokenizerProcess.OK) {
      throw new InvalidInputException("tokenizer.json cannot be loaded: " + answers.readUTF());
    }
  }

  @Override
  public synchronized void close() {
    local.close();
    if (child != null) {
      try {
        requests.close(); // end of input: the child exits
        if (!child.waitFor(5, TimeUnit.SECONDS)) {
          child.destroyForcibly();
        }
      } catch (IOException | InterruptedException e) {
        child.destroyForcibly();
        Thread.currentThread().interrupt();
      }
      child = null;
      deleteErrors();
    }
  }

  private void deleteErrors() {
    try {
      Files.deleteIfExists(errors);
    } catch (IOException ignored) {
      // a temporary file: the system's cleaning takes it
    }
  }
}
