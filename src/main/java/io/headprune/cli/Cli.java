package io.headprune.cli;

import ai.djl.engine.Engine;
import io.headprune.problem.HeadpruneException;
import io.headprune.pruning.BuildVersion;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.util.Arrays;
import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** Entry point of the {@code score} and {@code prune} commands. */
@Command(
    name = "headprune",
    mixinStandardHelpOptions = true,
    versionProvider = Cli.Version.class,
    description = "Scores and prunes transformer attention heads with HIES.",
    subcommands = {ScoreCommand.class, PruneCommand.class},
    footer = {
      "",
      "Also:",
      "  keys create|list|revoke   API keys, straight in the service's database",
      "  serve (or no arguments)   the REST service"
    },
    exitCodeListHeading = "Exit codes:%n",
    exitCodeList = {
      "0:success",
      "1:bad input (one line on stderr names it)",
      "2:usage error: unknown command or option, conflicting options",
      "3:failure that is not the input's fault"
    })
public final class Cli {

  /** Exit code for input the commands cannot accept. */
  static final int BAD_INPUT = 1;

  /** Exit code for failures that are not the input's fault. */
  static final int FAILURE = 3;

  /** Every command of the jar, for the usage error of an unknown one. */
  public static final List<String> COMMANDS = List.of("score", "prune", "keys", "serve");

  /**
   * Whether {@code args} start the service: no arguments, {@code serve}, or only Spring-style
   * settings ({@code --server.port=9090}). Anything else is a command, and an unknown one a usage
   * error: a typo never starts a service.
   */
  public static boolean servesWith(String[] args) {
    if (args.length == 0 || args[0].equals("serve")) {
      return true;
    }
    return args[0].startsWith("--")
        && Arrays.stream(args).allMatch(a -> a.startsWith("--") && a.contains("="));
  }

  /** Runs the command line and returns its exit code. */
  /**
   * For {@code score} and {@code prune}: loads PyTorch's native library on a background thread
   * while this one reads the arguments, the model's headers, the tokenizer and the data (about half
   * a second of a short run's start-up). A failure here is left for the command to meet and report.
   */
  public static void loadEngineEarly(String[] args) {
    List<String> given = Arrays.asList(args);
    if (!given.isEmpty()
        && (given.get(0).equals("score") || given.get(0).equals("prune"))
        && !given.contains("--help")
        && !given.contains("-h")) {
      Thread loader =
          new Thread(
              () -> {
                try {
                  Engine.getInstance();
                } catch (RuntimeException | LinkageError e) {
                  // the command's own first use reports it
                }
              },
              "engine-loader");
      loader.setDaemon(true);
      loader.start();
    }
  }

  public static int run(String[] args, PrintWriter out, PrintWriter err) {
    CommandLine commandLine = new CommandLine(new Cli());
    commandLine.setOut(out);
    commandLine.setErr(err);
    commandLine.setParameterExceptionHandler(
        (exception, arguments) -> {
          err.println("headprune: " + exception.getMessage() + " (see --help)");
          if (exception instanceof CommandLine.UnmatchedArgumentException unmatched
              && unmatched.getCommandLine() == commandLine) {
            err.println("headprune: commands: " + String.join(", ", COMMANDS));
          }
          return CommandLine.ExitCode.USAGE;
        });
    commandLine.setExecutionExceptionHandler(
        (exception, line, parsed) -> {
          if (exception instanceof HeadpruneException known) {
            err.println("headprune: " + known.getMessage());
            return BAD_INPUT;
          }
          if (exception instanceof UncheckedIOException io) {
            err.println("headprune: I/O error: " + io.getCause().getMessage());
            return FAILURE;
          }
          err.println("headprune: internal error: " + exception);
          return FAILURE;
        });
    return commandLine.execute(args);
  }

  /** headprune's version, as every surface reports it. */
  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      return new String[] {"headprune " + BuildVersion.get()};
    }
  }
}
