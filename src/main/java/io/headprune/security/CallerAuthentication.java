package io.headprune.security;

import io.headprune.tenancy.Caller;
import org.springframework.security.authentication.AbstractAuthenticationToken;
import org.springframework.security.core.authority.AuthorityUtils;

/**
 * An authenticated request: its principal is the {@link Caller}; authorities are its role and those
 * it includes.
 */
final class CallerAuthentication extends AbstractAuthenticationToken {

  private final Caller caller;

  CallerAuthentication(Caller caller) {
    super(AuthorityUtils.createAuthorityList(caller.role().authorities()));
    this.caller = caller;
    setAuthenticated(true);
  }

  @Override
  public Object getCredentials() {
    return ""; // never kept after verification
  }

  @Override
  public Caller getPrincipal() {
    return caller;
  }

  @Override
  public String getName() {
    return caller.actor();
  }
}
