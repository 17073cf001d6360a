package io.headprune;

import io.headprune.cli.Cli;
import io.headprune.model.NativeThreads;
import io.headprune.security.KeysCommand;
import java.io.PrintWriter;
import java.util.Arrays;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.context.properties.ConfigurationPropertiesScan;
import org.springframework.data.jpa.repository.config.EnableJpaRepositories;

/** One jar: {@code score} and {@code prune} on the command line; with no arguments, the service. */
@SpringBootApplication
@ConfigurationPropertiesScan
@EnableJpaRepositories(considerNestedRepositories = true)
public class HeadpruneApplication {

  public static void main(String[] args) {
    threads();
    if (Cli.servesWith(args)) {
      String[] settings =
          args.length > 0 && args[0].equals("serve")
              ? Arrays.copyOfRange(args, 1, args.length)
              : args;
      SpringApplication.run(HeadpruneApplication.class, settings);
      return;
    }
    System.setProperty("logback.configurationFile", "headprune-cli-logback.xml");
    PrintWriter out = new PrintWriter(System.out, true);
    PrintWriter err = new PrintWriter(System.err, true);
    if (args[0].equals("keys")) {
      System.exit(KeysCommand.run(args, out, err, HeadpruneApplication.class));
    }
    Cli.loadEngineEarly(args);
    System.exit(Cli.run(args, out, err));
  }

  /**
   * PyTorch's CPU threads: intra-op as many as this process may use (cgroup-aware, so a container's
   * CPU limit counts, not the host's cores), inter-op one (the engine runs one op graph at a time;
   * more threads only compete). Settings given with -D win. OpenMP's idle threads sleep rather than
   * spin unless {@code OMP_WAIT_POLICY} is set (see {@link NativeThreads}).
   */
  static void threads() {
    NativeThreads.passiveOpenMpUnlessSet();
    System.setProperty(
        "ai.djl.pytorch.num_threads",
        System.getProperty(
            "ai.djl.pytorch.num_threads",
            Integer.toString(Runtime.getRuntime().availableProcessors())));
    System.setProperty(
        "ai.djl.pytorch.num_interop_threads",
        System.getProperty("ai.djl.pytorch.num_interop_threads", "1"));
  }
}
