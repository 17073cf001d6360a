package io.headprune.checkpoint;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The child process of an {@link IsolatedTokenizer}: opens {@code tokenizer.json} and answers
 * encoding requests on stdin/stdout until its input ends. Requests: an operation byte, then one
 * text (two for a pair) as a length-prefixed UTF-8 string; answers: {@link #OK} and the ids and
 * type ids, or an error byte and a message.
 */
public final class TokenizerProcess {

  static final byte ENCODE = 1;
  static final byte ENCODE_PAIR = 2;
  static final byte ENCODE_PLAIN = 3;
  static final byte ENCODE_ALL = 4;
  static final byte ENCODE_ALL_SPECIAL = 5;
  static final byte OK = 0;
  static final byte ERROR = 1;

  /** What the child writes first: its stdout is the protocol's, nothing else's. */
  static final int MAGIC = 0x48505450; // "HPTP"

  private TokenizerProcess() {}

  /** Arguments: the tokenizer.json path and the max length. */
  public static void main(String[] args) throws IOException {
    // stdout carries the answers alone: whatever else writes to System.out (a logger's console
    // appender) goes to stderr
    DataOutputStream out =
        new DataOutputStream(
            new BufferedOutputStream(new FileOutputStream(FileDescriptor.out), 1 << 16));
    System.setOut(System.err);
    DataInputStream in = new DataInputStream(new BufferedInputStream(System.in, 1 << 16));
    out.writeInt(MAGIC);
    HfTokenizer tokenizer;
    try {
      tokenizer = HfTokenizer.open(Path.of(args[0]), Integer.parseInt(args[1]));
    } catch (RuntimeException e) {
      out.writeByte(ERROR);
      out.writeUTF(String.valueOf(e.getMessage()));
      out.flush();
      return;
    }
    out.writeByte(OK);
    out.flush();
    try (tokenizer) {
      while (true) {
        byte operation;
        try {
          operation = in.readByte();
        } catch (EOFException end) {
          return;
        }
        String text = readText(in);
        String pair = operation == ENCODE_PAIR ? readText(in) : null;
        TextTokenizer.Tokens tokens;
        try {
          tokens =
              switch (operation) {
                case ENCODE -> tokenizer.encode(text, null);
                case ENCODE_PAIR -> tokenizer.encode(text, pair);
                case ENCODE_PLAIN -> tokenizer.encodePlain(text);
                case ENCODE_ALL -> tokenizer.encodeAll(text, false);
                case ENCODE_ALL_SPECIAL -> tokenizer.encodeAll(text, true);
                default -> throw new IllegalStateException("unknown operation " + operation);
              };
        } catch (RuntimeException e) {
          out.writeByte(ERROR);
          out.writeUTF(String.valueOf(e.getMessage()));
          out.flush();
          continue;
        }
        out.writeByte(OK);
        writeTokens(out, tokens);
        out.flush();
      }
    }
  }

  /**
   * The JVM arguments that run this class with the running application's classes: the class path of
   * a plain launch, or Spring Boot's launcher over the executable jar.
   */
  static List<String> launch() {
    String location =
        String.valueOf(TokenizerProcess.class.getProtectionDomain().getCodeSource().getLocation());
    // inside the executable jar: jar:nested:/path/headprune.jar/!BOOT-INF/classes/!/
    Matcher nested = Pattern.compile("^jar:nested:(.+?\\.jar)/!").matcher(location);
    if (nested.find()) {
      return List.of(
          "-cp",
          nested.group(1),
          "-Dloader.main=" + TokenizerProcess.class.getName(),
          "org.springframework.boot.loader.launch.PropertiesLauncher");
    }
    return List.of("-cp", System.getProperty("java.class.path"), TokenizerProcess.class.getName());
  }

  static void writeText(DataOutputStream out, String text) throws IOException {
    byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
    out.writeInt(bytes.length);
    out.write(bytes);
  }

  static String readText(DataInputStream in) throws IOException {
    byte[] bytes = new byte[in.readInt()];
    in.readFully(bytes);
    return new String(bytes, StandardCharsets.UTF_8);
  }

  static void writeTokens(DataOutputStream out, TextTokenizer.Tokens tokens) throws IOException {
    out.writeInt(tokens.length());
    for (long id : tokens.ids()) {
      out.writeLong(id);
    }
    for (long type : tokens.typeIds()) {
      out.writeLong(type);
    }
  }

  static TextTokenizer.Tokens readTokens(DataInputStream in) throws IOException {
    int length = in.readInt();
    long[] ids = new long[length];
    long[] types = new long[length];
    for (int i = 0; i < length; i++) {
      ids[i] = in.readLong();
    }
    for (int i = 0; i < length; i++) {
      types[i] = in.readLong();
    }
    return new TextTokenizer.Tokens(ids, types);
  }
}
