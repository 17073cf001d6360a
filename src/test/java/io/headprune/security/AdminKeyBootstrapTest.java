package io.headprune.security;

import static org.assertj.core.api.Assertions.assertThat;

import io.headprune.support.Instances;
import io.headprune.support.TestDatabase;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.web.client.RestClient;

/**
 * The embedded default's first start: a platform-admin key in {@code <data-dir>/admin.key}, mode
 * 0600, never in the log; a second start keeps it and makes no other.
 */
@ExtendWith(OutputCaptureExtension.class)
@SuppressWarnings({"rawtypes", "unchecked"})
class AdminKeyBootstrapTest {

  @TempDir Path data;

  @Test
  void theFirstStartWritesAnAdminKeyAndTheSecondKeepsIt(CapturedOutput output) throws Exception {
    TestDatabase.Database database = TestDatabase.fresh();
    Path file = data.resolve("admin.key");
    List<String> noConfiguredKey = List.of("--headprune.security.admin-key=");
    String key;
    try (ConfigurableApplicationContext first = Instances.start(database, data, noConfiguredKey)) {
      assertThat(file).exists();
      assertThat(Files.getPosixFilePermissions(file))
          .isEqualTo(Set.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE));
      key = Files.readString(file).strip();
      assertThat(key).matches("hp_[A-Za-z0-9_-]{43}");
      int port = Integer.parseInt(first.getEnvironment().getProperty("local.server.port"));
      List<Map> keys =
          Instances.client(port, key).get().uri("/v1/keys").retrieve().body(List.class);
      assertThat(keys).hasSize(1);
      assertThat(keys.get(0))
          .containsEntry("role", "platform-admin")
          .containsEntry("tenant", "default")
          .containsEntry("prefix", key.substring(0, 11));
      assertThat(output.getAll())
          .contains(file.toString())
          .contains(key.substring(0, 11))
          .doesNotContain(key);
    }
    try (ConfigurableApplicationContext second = Instances.start(database, data, noConfiguredKey)) {
      assertThat(Files.readString(file).strip()).isEqualTo(key);
      int port = Integer.parseInt(second.getEnvironment().getProperty("local.server.port"));
      RestClient admin = Instances.client(port, key);
      assertThat(admin.get().uri("/v1/keys").retrieve().body(List.class)).hasSize(1);
    }
  }
}
