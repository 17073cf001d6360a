/**
 * Authentication and authorisation with Spring Security: API keys ({@code hp_…}) or OIDC JWTs as
 * bearer tokens become a {@link io.headprune.tenancy.Caller}; URL rules by role; problem+json 401
 * and 403; the first-start admin key.
 */
package io.headprune.security;
