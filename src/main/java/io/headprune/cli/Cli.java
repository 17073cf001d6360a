package io.headprune.cli;

import io.headprune.problem.HeadpruneException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** Entry point of the {@code score} and {@code prune} commands. */
@Command(
    name = "headprune",
    mixinStandardHelpOptions = true,
    versionProvider = Cli.Version.class,
    description = "Scores and prunes transformer attention heads with HIES.",
    subcommands = {ScoreCommand.class, PruneCommand.class})
public final class Cli {

  /** Exit code for input the commands cannot accept. */
  static final int BAD_INPUT = 1;

  /** Exit code for failures that are not the input's fault. */
  static final int FAILURE = 3;

  /** The subcommands the command line understands. */
  public static boolean handles(String[] args) {
    return args.length > 0
        && (args[0].equals("score")
            || args[0].equals("prune")
            || args[0].equals("--help")
            || args[0].equals("-h")
            || args[0].equals("--version")
            || args[0].equals("-V"));
  }

  /** Runs the command line and returns its exit code. */
  public static int run(String[] args, PrintWriter out, PrintWriter err) {
    CommandLine commandLine = new CommandLine(new Cli());
    commandLine.setOut(out);
    commandLine.setErr(err);
    commandLine.setParameterExceptionHandler(
        (exception, arguments) -> {
          err.println("headprune: " + exception.getMessage() + " (see --help)");
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

  /** Version from the jar manifest. */
  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String version = Cli.class.getPackage().getImplementationVersion();
      return new String[] {"headprune " + (version == null ? "dev" : version)};
    }
  }
}
