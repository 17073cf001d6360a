package io.headprune.tenancy;

import java.time.Clock;
import java.sql.Timestamp;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Service;

/** Tenants that identity providers name: created on first sight. */
@Service
public class Tenants {

  private final JdbcTemplate sql;
  private final Clock clock;

  Tenants(JdbcTemplate sql, Clock clock) {
    this.sql = sql;
    this.clock = clock;
  }

  /** Whether {@code name} can name a tenant (1 to 63 lower-case letters, digits or dashes). */
  public static boolean validName(String name) {
    return name != null && ApiKeys.TENANT.matcher(name).matches();
  }

  /** Creates tenant {@code name} unless it exists (safe when replicas race). */
  public void ensure(String name) {
    sql.update("insert into tenants (id, created_at) values (?, ?) on conflict (id) do nothing", name,
        Timestamp.from(clock.instant()));
  }
}
