package io.headprune.security;

import static org.assertj.core.api.Assertions.assertThat;

import io.headprune.HeadpruneApplication;
import io.headprune.checkpoint.Json;
import io.headprune.support.TestDatabase;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code keys create|list|revoke} on the database directly, for bootstrapping. */
class KeysCommandTest {

  @TempDir Path data;

  private record Run(int code, String out, String err) {}

  private Run keys(TestDatabase.Database database, String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    String[] all = new String[args.length + 5];
    all[0] = "keys";
    System.arraycopy(args, 0, all, 1, args.length);
    all[args.length + 1] = "--spring.datasource.url=" + database.url();
    all[args.length + 2] = "--spring.datasource.username=" + database.username();
    all[args.length + 3] = "--spring.datasource.password=" + database.password();
    all[args.length + 4] = "--headprune.data-dir=" + data;
    int code =
        KeysCommand.run(
            all,
            new PrintWriter(out, true),
            new PrintWriter(err, true),
            HeadpruneApplication.class);
    return new Run(code, out.toString(), err.toString());
  }

  @Test
  @SuppressWarnings("unchecked")
  void createsListsAndRevokesKeys() {
    TestDatabase.Database database = TestDatabase.fresh();
    Run created = keys(database, "create", "--tenant", "ops", "--role", "admin");
    assertThat(created.code()).as(created.err()).isZero();
    Map<String, Object> key = Json.MAPPER.readValue(created.out(), Map.class);
    assertThat((String) key.get("key")).matches("hp_[A-Za-z0-9_-]{43}");
    assertThat(key).containsEntry("tenant", "ops").containsEntry("role", "admin");

    Run listed = keys(database, "list");
    assertThat(listed.code()).isZero();
    assertThat(listed.out())
        .contains((String) key.get("prefix"))
        .contains("ops")
        .contains("active")
        .doesNotContain((String) key.get("key"));

    assertThat(keys(database, "revoke", (String) key.get("prefix")).code()).isZero();
    assertThat(keys(database, "list").out()).contains("revoked");

    Run bad = keys(database, "create", "--tenant", "Not Valid", "--role", "admin");
    assertThat(bad.code()).isEqualTo(1);
    assertThat(bad.err()).contains("tenant 'Not Valid' must be");
    Run usage = keys(database, "create", "--tenant", "ops");
    assertThat(usage.code()).isEqualTo(2);
    assertThat(usage.err()).contains("--role");
  }
}
