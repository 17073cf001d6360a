package io.headprune.security;

import io.headprune.tenancy.ApiKeys;
import io.headprune.tenancy.Caller;
import io.headprune.tenancy.Role;
import io.headprune.tenancy.Tenants;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import org.springframework.security.authentication.AuthenticationProvider;
import org.springframework.security.authentication.ProviderManager;
import org.springframework.security.core.Authentication;
import org.springframework.security.oauth2.core.OAuth2AuthenticationException;
import org.springframework.security.oauth2.core.OAuth2Error;
import org.springframework.security.oauth2.core.OAuth2ErrorCodes;
import org.springframework.security.oauth2.jwt.Jwt;
import org.springframework.security.oauth2.jwt.JwtDecoder;
import org.springframework.security.oauth2.server.resource.authentication.BearerTokenAuthenticationToken;
import org.springframework.security.oauth2.server.resource.authentication.JwtAuthenticationProvider;

/**
 * Turns a bearer token into a {@link Caller}: {@code hp_…} API keys, else (when configured) OIDC
 * JWTs.
 */
final class Authenticators {

  private Authenticators() {}

  /** The authentication manager of bearer tokens; {@code jwts} is null when OIDC is off. */
  static ProviderManager manager(
      ApiKeys keys, JwtDecoder jwts, SecuritySettings.Oidc oidc, Tenants tenants) {
    List<AuthenticationProvider> providers = new ArrayList<>();
    providers.add(new ApiKeyProvider(keys, jwts == null));
    if (jwts != null) {
      JwtAuthenticationProvider provider = new JwtAuthenticationProvider(jwts);
      provider.setJwtAuthenticationConverter(
          jwt -> new CallerAuthentication(caller(jwt, oidc, tenants)));
      providers.add(
          new AuthenticationProvider() { // API keys are not JWTs: their refusal stands as the
            // answer
            @Override
            public Authentication authenticate(Authentication authentication) {
              String token = ((BearerTokenAuthenticationToken) authentication).getToken();
              return token.startsWith("hp_") ? null : provider.authenticate(authentication);
            }

            @Override
            public boolean supports(Class<?> authentication) {
              return provider.supports(authentication);
            }
          });
    }
    return new ProviderManager(providers);
  }

  /** A token refused by headprune's own rules; its description is written for the client. */
  static final class Refused extends OAuth2AuthenticationException {
    Refused(String description) {
      super(new OAuth2Error(OAuth2ErrorCodes.INVALID_TOKEN, description, null), description);
    }
  }

  static Refused invalid(String description) {
    return new Refused(description);
  }

  /** API keys; other tokens go to the next provider, or are refused here when there is none. */
  private record ApiKeyProvider(ApiKeys keys, boolean only) implements AuthenticationProvider {

    @Override
    public Authentication authenticate(Authentication authentication) {
      String token = ((BearerTokenAuthenticationToken) authentication).getToken();
      if (!token.startsWith("hp_")) {
        if (only) {
          throw invalid(
              "the bearer token is not an API key (hp_…), and this service accepts no other tokens");
        }
        return null; // a JWT
      }
      return keys.authenticate(token)
          .map(CallerAuthentication::new)
          .orElseThrow(() -> invalid("the API key is unknown or revoked"));
    }

    @Override
    public boolean supports(Class<?> authentication) {
      return BearerTokenAuthenticationToken.class.isAssignableFrom(authentication);
    }
  }

  /** The caller a verified JWT names: tenant and role from the configured claims. */
  static Caller caller(Jwt jwt, SecuritySettings.Oidc oidc, Tenants tenants) {
    String tenant = jwt.getClaimAsString(oidc.tenantClaim());
    if (!Tenants.validName(tenant)) {
      throw invalid(
          "the token's claim '"
              + oidc.tenantClaim()
              + "' must name a tenant (lower-case letters, digits, "
              + "dashes)");
    }
    Role role = highestRole(jwt.getClaim(oidc.roleClaim()));
    if (role == null) {
      throw invalid(
          "the token's claim '"
              + oidc.roleClaim()
              + "' must name a role: read, member, admin or "
              + "platform-admin");
    }
    tenants.ensure(tenant);
    return new Caller(tenant, role, "jwt:" + jwt.getSubject());
  }

  private static Role highestRole(Object claim) {
    Collection<?> names =
        claim instanceof Collection<?> list ? list : claim == null ? List.of() : List.of(claim);
    Role highest = null;
    for (Object name : names) {
      for (Role role : Role.values()) {
        if (role.wire().equals(String.valueOf(name))
            && (highest == null || role.includes(highest))) {
          highest = role;
        }
      }
    }
    return highest;
  }
}
