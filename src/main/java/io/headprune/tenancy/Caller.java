package io.headprune.tenancy;

import io.headprune.problem.ForbiddenException;
import java.util.Optional;
import org.springframework.security.core.Authentication;
import org.springframework.security.core.context.SecurityContextHolder;

/**
 * Who makes a request: its tenant, its role and, for the audit trail, the actor (an API key's
 * prefix, or {@code jwt:<subject>}). The security layer puts it in Spring Security's context as the
 * authentication's principal.
 */
public record Caller(String tenant, Role role, String actor) {

  /** The caller of the current request. */
  public static Caller current() {
    return find()
        .orElseThrow(() -> new IllegalStateException("no authenticated caller on this thread"));
  }

  /** The caller of the current request, if it is authenticated. */
  public static Optional<Caller> find() {
    Authentication authentication = SecurityContextHolder.getContext().getAuthentication();
    if (authentication != null && authentication.getPrincipal() instanceof Caller caller) {
      return Optional.of(caller);
    }
    return Optional.empty();
  }

  /** Whether this caller may act on {@code tenant}: its own, or any for a platform admin. */
  public boolean mayAdminister(String tenant) {
    return role == Role.PLATFORM_ADMIN || (role.includes(Role.ADMIN) && this.tenant.equals(tenant));
  }

  /** Refuses (403) unless this caller may act on {@code tenant}. */
  public void checkAdministers(String tenant) {
    if (!mayAdminister(tenant)) {
      throw new ForbiddenException(
          "a "
              + role.wire()
              + " key of tenant "
              + this.tenant
              + " cannot administer another tenant");
    }
  }
}
