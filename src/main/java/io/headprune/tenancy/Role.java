package io.headprune.tenancy;

import io.headprune.problem.InvalidInputException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** What a key or token may do; each role includes the ones below it. */
public enum Role {
  /** Reads the tenant's models, datasets, jobs, outputs and the service's metrics. */
  READ("read"),
  /** Also uploads, submits, cancels and deletes. */
  MEMBER("member"),
  /** Also manages the tenant's keys and Hub token and reads its audit trail and usage. */
  ADMIN("admin"),
  /** An admin of every tenant: creates tenants and their keys. */
  PLATFORM_ADMIN("platform-admin");

  private final String wire;

  Role(String wire) {
    this.wire = wire;
  }

  /** The name in the API, the database and tokens: read, member, admin, platform-admin. */
  public String wire() {
    return wire;
  }

  /** Whether this role may do what {@code other} may. */
  public boolean includes(Role other) {
    return compareTo(other) >= 0;
  }

  /**
   * Spring Security authorities: this role and every role it includes ({@code ROLE_MEMBER}, {@code
   * ROLE_READ}).
   */
  public List<String> authorities() {
    List<String> authorities = new ArrayList<>();
    for (Role role : values()) {
      if (includes(role)) {
        authorities.add("ROLE_" + role.name());
      }
    }
    return authorities;
  }

  /** The role named {@code wire}, or a 400 naming the roles there are. */
  public static Role of(String wire) {
    if (wire != null) {
      for (Role role : values()) {
        if (role.wire.equals(wire.toLowerCase(Locale.ROOT))) {
          return role;
        }
      }
    }
    throw new InvalidInputException(
        "role '" + wire + "' does not exist; use read, member, admin or platform-admin");
  }
}
