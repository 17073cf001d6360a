package io.headprune;

import io.headprune.cli.Cli;
import java.io.PrintWriter;
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
    if (Cli.handles(args)) {
      System.setProperty("logback.configurationFile", "headprune-cli-logback.xml");
      int code =
          Cli.run(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true));
      System.exit(code);
    }
    if (args.length > 0 && args[0].equals("keys")) {
      System.setProperty("logback.configurationFile", "headprune-cli-logback.xml");
      System.exit(
          io.headprune.security.KeysCommand.run(
              args, new PrintWriter(System.out, true), new PrintWriter(System.err, true)));
    }
    SpringApplication.run(HeadpruneApplication.class, args);
  }
}
