package io.headprune.security;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * {@code headprune.security.*}.
 *
 * @param adminKey a platform-admin key to create on the first start instead of generating one (a
 *     deployment's secret); empty: generate one into {@code <data-dir>/admin.key}
 * @param keyEncryptionKey base64 of 32 bytes: encrypts tenants' Hub tokens at rest (AES-GCM);
 *     empty: tenants cannot store Hub tokens
 * @param oidc bearer JWTs from an OpenID Connect provider, besides API keys
 */
@ConfigurationProperties("headprune.security")
public record SecuritySettings(String adminKey, String keyEncryptionKey, @DefaultValue Oidc oidc) {

  /**
   * @param issuerUri the provider's issuer; tokens must name it ({@code iss}); without a JWK set
   *     URI its keys are found through its discovery document
   * @param jwkSetUri where the provider's signing keys are
   * @param audience if set, tokens must list it in {@code aud}
   * @param tenantClaim the claim naming the caller's tenant
   * @param roleClaim the claim naming its role (a string, or a list whose highest role counts)
   */
  public record Oidc(
      String issuerUri,
      String jwkSetUri,
      String audience,
      @DefaultValue("tenant") String tenantClaim,
      @DefaultValue("role") String roleClaim) {

    /** Empty settings (an unset environment variable in docker-compose) are no settings. */
    public Oidc {
      issuerUri = blankToNull(issuerUri);
      jwkSetUri = blankToNull(jwkSetUri);
      audience = blankToNull(audience);
      for (String uri : new String[] {issuerUri, jwkSetUri}) {
        if (uri != null && !uri.matches("https?://\\S+")) {
          throw new IllegalArgumentException(
              "headprune.security.oidc: '" + uri + "' is not an http(s) URL");
        }
      }
    }

    private static String blankToNull(String value) {
      return value == null || value.isBlank() ? null : value.strip();
    }

    /** Whether JWTs are accepted at all. */
    public boolean enabled() {
      return issuerUri != null || jwkSetUri != null;
    }
  }
}
