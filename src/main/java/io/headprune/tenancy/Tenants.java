package io.headprune.tenancy;

import io.headprune.problem.InvalidInputException;
import io.headprune.problem.NotFoundException;
import java.sql.Timestamp;
import java.time.Clock;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

/** Tenants: created on first sight (identity providers name them), with their Hub tokens. */
@Service
public class Tenants {

  private final JdbcTemplate sql;
  private final Clock clock;
  private final Secrets secrets;
  private final TenancyRepositories.Tenants rows;
  private final Audit audit;

  Tenants(
      JdbcTemplate sql,
      Clock clock,
      Secrets secrets,
      TenancyRepositories.Tenants rows,
      Audit audit) {
    this.sql = sql;
    this.clock = clock;
    this.secrets = secrets;
    this.rows = rows;
    this.audit = audit;
  }

  /**
   * Stores {@code tenant}'s Hugging Face token (encrypted; never shown again, never logged); null
   * removes it. Hub models and datasets of the tenant's jobs are then read with it.
   */
  @Transactional
  public void setHubToken(String tenant, String token, Caller by) {
    by.checkAdministers(tenant);
    TenantEntity row =
        rows.lockById(tenant).orElseThrow(() -> new NotFoundException("tenant does not exist"));
    if (token != null
        && (token.isBlank() || token.length() > 1000 || !token.matches("[\\x21-\\x7e]+"))) {
      throw new InvalidInputException(
          "token must be 1 to 1000 printable characters without " + "spaces");
    }
    row.hubToken = token == null ? null : secrets.encrypt(tenant, token);
    audit.record(tenant, by.actor(), token == null ? "hub-token.delete" : "hub-token.set", tenant);
  }

  /**
   * The Hub token {@code tenant}'s Hub requests use: its own if it stored one; else, for the
   * default tenant only, the service's {@code HF_TOKEN} ({@code fallback}) — other tenants never
   * borrow the operator's access to private repositories.
   */
  @Transactional(readOnly = true)
  public String hubToken(String tenant, String fallback) {
    byte[] stored = rows.findById(tenant).map(row -> row.hubToken).orElse(null);
    if (stored != null) {
      return secrets.decrypt(tenant, stored);
    }
    return ApiKeys.DEFAULT_TENANT.equals(tenant) ? fallback : null;
  }

  /** Whether {@code name} can name a tenant (1 to 63 lower-case letters, digits or dashes). */
  public static boolean validName(String name) {
    return name != null && ApiKeys.TENANT.matcher(name).matches();
  }

  /** Creates tenant {@code name} unless it exists (safe when replicas race). */
  public void ensure(String name) {
    sql.update(
        "insert into tenants (id, created_at) values (?, ?) on conflict (id) do nothing",
        name,
        Timestamp.from(clock.instant()));
  }
}
