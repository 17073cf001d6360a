package io.headprune.security;

import io.headprune.checkpoint.Json;
import io.headprune.problem.HeadpruneException;
import io.headprune.tenancy.ApiKeys;
import io.headprune.tenancy.Caller;
import io.headprune.tenancy.Role;
import java.io.PrintWriter;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code keys create|list|revoke}: API keys straight in the database, as a platform admin, for
 * bootstrapping (the first key of a tenant, a lost admin key). It starts no web server and runs no
 * jobs; with the embedded default it needs the service stopped (one PostgreSQL per data directory).
 * Settings as for the service: {@code --headprune.data-dir=…} or {@code --spring.datasource.url=…}
 * after the command's own options, or the environment.
 */
@Command(
    name = "keys",
    mixinStandardHelpOptions = true,
    description =
        "Creates, lists and revokes API keys in the "
            + "database directly (for bootstrapping; the API's /v1/keys does the same over HTTP).",
    subcommands = {KeysCommand.Create.class, KeysCommand.ListKeys.class, KeysCommand.Revoke.class})
public final class KeysCommand {

  private static final Caller CLI = new Caller(ApiKeys.DEFAULT_TENANT, Role.PLATFORM_ADMIN, "cli");

  /** Runs {@code args} (starting with "keys"); returns the exit code. */
  public static int run(String[] args, PrintWriter out, PrintWriter err, Class<?> application) {
    List<String> own =
        Arrays.stream(args)
            .skip(1)
            .filter(a -> !a.startsWith("--spring.") && !a.startsWith("--headprune."))
            .toList();
    String[] settings =
        Arrays.stream(args)
            .filter(a -> a.startsWith("--spring.") || a.startsWith("--headprune."))
            .toArray(String[]::new);
    CommandLine line = new CommandLine(new KeysCommand(), new Factory(settings, application));
    line.setOut(out);
    line.setErr(err);
    line.setParameterExceptionHandler(
        (e, arguments) -> {
          err.println("headprune keys: " + e.getMessage() + " (see keys --help)");
          return CommandLine.ExitCode.USAGE;
        });
    line.setExecutionExceptionHandler(
        (e, parsed, result) -> {
          err.println(
              "headprune keys: "
                  + (e instanceof HeadpruneException ? e.getMessage() : "failed: " + e));
          return e instanceof HeadpruneException ? 1 : 3;
        });
    return line.execute(own.toArray(String[]::new));
  }

  /** Commands get the database through a Spring context without a web server or workers. */
  private record Factory(String[] settings, Class<?> application) implements CommandLine.IFactory {
    @Override
    public <K> K create(Class<K> type) throws Exception {
      K instance = CommandLine.defaultFactory().create(type);
      if (instance instanceof Database command) {
        command.settings = settings;
        command.application = application;
      }
      return instance;
    }
  }

  /** A subcommand that works on the database. */
  abstract static class Database implements Callable<Integer> {
    String[] settings = new String[0];

    /** The application whose context holds the database (given by the caller: no cycle). */
    Class<?> application;

    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
      try (ConfigurableApplicationContext context =
          new SpringApplicationBuilder(application)
              .web(WebApplicationType.NONE)
              .logStartupInfo(false)
              .properties(
                  "db-scheduler.enabled=false", "headprune.role=api", "spring.main.banner-mode=off")
              .run(settings)) {
        return run(context.getBean(ApiKeys.class), spec.commandLine().getOut());
      }
    }

    abstract int run(ApiKeys keys, PrintWriter out);
  }

  @Command(
      name = "create",
      description =
          "Creates a key and prints it (once) as JSON; a new tenant name creates the tenant.")
  static final class Create extends Database {
    @Option(names = "--tenant", required = true, description = "the key's tenant")
    String tenant;

    @Option(
        names = "--role",
        required = true,
        description = "read, member, admin or platform-admin")
    String role;

    @Override
    int run(ApiKeys keys, PrintWriter out) {
      ApiKeys.NewKey key = keys.create(tenant, Role.of(role), CLI);
      out.println(Json.MAPPER.writeValueAsString(key));
      return 0;
    }
  }

  @Command(name = "list", description = "Lists every key by prefix (never the keys).")
  static final class ListKeys extends Database {
    @Override
    int run(ApiKeys keys, PrintWriter out) {
      out.printf("%-12s %-20s %-15s %-28s %s%n", "PREFIX", "TENANT", "ROLE", "CREATED", "STATE");
      for (ApiKeys.KeyView key : keys.list(CLI)) {
        out.printf(
            "%-12s %-20s %-15s %-28s %s%n",
            key.prefix(),
            key.tenant(),
            key.role(),
            key.createdAt(),
            key.revoked() ? "revoked " + key.revokedAt() : "active");
      }
      return 0;
    }
  }

  @Command(name = "revoke", description = "Revokes the key with this prefix.")
  static final class Revoke extends Database {
    @Parameters(paramLabel = "PREFIX", description = "the key's prefix, as keys list shows it")
    String prefix;

    @Override
    int run(ApiKeys keys, PrintWriter out) {
      keys.revoke(prefix, CLI);
      out.println("revoked " + prefix);
      return 0;
    }
  }
}
