package io.headprune.security;

import io.headprune.problem.Problem;
import io.headprune.problem.ProblemType;
import io.headprune.system.HeadpruneProperties;
import io.headprune.tenancy.ApiKeys;
import io.headprune.tenancy.Tenants;
import jakarta.servlet.DispatcherType;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.ApplicationRunner;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.env.Environment;
import org.springframework.http.HttpMethod;
import org.springframework.security.authentication.AuthenticationManager;
import org.springframework.security.config.annotation.web.builders.HttpSecurity;
import org.springframework.security.config.http.SessionCreationPolicy;
import org.springframework.security.oauth2.core.DelegatingOAuth2TokenValidator;
import org.springframework.security.oauth2.core.OAuth2TokenValidator;
import org.springframework.security.oauth2.jwt.Jwt;
import org.springframework.security.oauth2.jwt.JwtClaimValidator;
import org.springframework.security.oauth2.jwt.JwtDecoder;
import org.springframework.security.oauth2.jwt.JwtDecoders;
import org.springframework.security.oauth2.jwt.JwtValidators;
import org.springframework.security.oauth2.jwt.NimbusJwtDecoder;
import org.springframework.security.oauth2.jwt.SupplierJwtDecoder;
import org.springframework.security.web.SecurityFilterChain;
import org.springframework.security.web.firewall.RequestRejectedHandler;
import org.springframework.security.web.util.matcher.RequestMatcher;

/**
 * Who may call what. Every {@code /v1} call needs a bearer API key or (when configured) an OIDC
 * JWT; GET needs the read role, other methods member, keys, audit and tenants admin. Health probes
 * are open and show no details without a key; metrics, prometheus and info need the read role, or
 * are open on a separate management port (which a deployment keeps off the public network).
 * Stateless: no session, no cookie, so no CSRF.
 */
@Configuration(proxyBeanMethods = false)
@ConditionalOnWebApplication
class SecurityConfiguration {

  private static final Logger log = LoggerFactory.getLogger(SecurityConfiguration.class);

  @Bean
  SecurityFilterChain securityFilterChain(
      HttpSecurity http,
      ApiKeys keys,
      Tenants tenants,
      SecuritySettings settings,
      Environment environment)
      throws Exception {
    JwtDecoder jwts = settings.oidc().enabled() ? jwtDecoder(settings.oidc()) : null;
    AuthenticationManager manager = Authenticators.manager(keys, jwts, settings.oidc(), tenants);
    Problems problems = new Problems();
    RequestMatcher managementPort = managementPort(environment);
    http.addFilterBefore(
            new DatabaseOutageFilter(),
            org.springframework.security.oauth2.server.resource.web.authentication
                .BearerTokenAuthenticationFilter.class)
        .csrf(csrf -> csrf.disable())
        .sessionManagement(
            session -> session.sessionCreationPolicy(SessionCreationPolicy.STATELESS))
        .requestCache(cache -> cache.disable())
        .formLogin(form -> form.disable())
        .httpBasic(basic -> basic.disable())
        .logout(logout -> logout.disable())
        .exceptionHandling(
            errors -> errors.authenticationEntryPoint(problems).accessDeniedHandler(problems))
        .oauth2ResourceServer(
            bearer ->
                bearer
                    .authenticationManagerResolver(request -> manager)
                    .authenticationEntryPoint(problems)
                    .accessDeniedHandler(problems))
        .authorizeHttpRequests(
            rules ->
                rules
                    .requestMatchers(managementPort)
                    .permitAll()
                    .requestMatchers("/actuator/health", "/actuator/health/**")
                    .permitAll()
                    .requestMatchers("/actuator", "/actuator/**")
                    .hasRole("READ")
                    // the error page renders errors of requests already let through; asked for
                    // directly it is a 404 (RequestLimitsFilter)
                    .dispatcherTypeMatchers(DispatcherType.ERROR)
                    .permitAll()
                    .requestMatchers("/v1/keys", "/v1/keys/**", "/v1/audit", "/v1/tenants/**")
                    .hasRole("ADMIN")
                    .requestMatchers(HttpMethod.GET)
                    .hasRole("READ")
                    .requestMatchers(HttpMethod.HEAD)
                    .hasRole("READ")
                    .anyRequest()
                    .hasRole("MEMBER"));
    return http.build();
  }

  /**
   * A request the firewall refuses (a path not in normal form: {@code //}, {@code /./}, {@code ;},
   * an encoded slash or percent, a control character) gets a problem naming that, not the
   * framework's own error body.
   */
  @Bean
  RequestRejectedHandler requestRejected() {
    return (request, response, rejected) ->
        Problems.write(
            response,
            Problem.of(
                ProblemType.INVALID_REQUEST,
                "the request's path is not in normal form (it holds //, /./, /../, a ; parameter, an"
                    + " encoded /, \\ or %, or a control character): send the plain path"));
  }

  /**
   * Requests that arrive on a separate management port (none when actuator shares the API's port).
   */
  private static RequestMatcher managementPort(Environment environment) {
    Integer management = environment.getProperty("management.server.port", Integer.class);
    Integer server = environment.getProperty("server.port", Integer.class, 8080);
    if (management == null || management <= 0 || management.equals(server)) {
      return request -> false;
    }
    return request -> request.getLocalPort() == management;
  }

  /**
   * JWTs signed by the provider's keys, from its issuer, unexpired, and for this audience if one is
   * set.
   */
  private static JwtDecoder jwtDecoder(SecuritySettings.Oidc oidc) {
    List<OAuth2TokenValidator<Jwt>> validators = new ArrayList<>();
    validators.add(
        oidc.issuerUri() != null
            ? JwtValidators.createDefaultWithIssuer(oidc.issuerUri())
            : JwtValidators.createDefault());
    if (oidc.audience() != null) {
      validators.add(
          new JwtClaimValidator<List<String>>(
              "aud", aud -> aud != null && aud.contains(oidc.audience())));
    }
    OAuth2TokenValidator<Jwt> validator = new DelegatingOAuth2TokenValidator<>(validators);
    if (oidc.jwkSetUri() != null) {
      NimbusJwtDecoder decoder = NimbusJwtDecoder.withJwkSetUri(oidc.jwkSetUri()).build();
      decoder.setJwtValidator(validator);
      return decoder;
    }
    // discovery on first use, so the service starts while the provider is briefly away
    return new SupplierJwtDecoder(
        () -> {
          NimbusJwtDecoder decoder =
              (NimbusJwtDecoder) JwtDecoders.fromIssuerLocation(oidc.issuerUri());
          decoder.setJwtValidator(validator);
          return decoder;
        });
  }

  /**
   * The first start of a process that serves the API creates the platform-admin key (see {@link
   * ApiKeys#bootstrap}).
   */
  @Bean
  ApplicationRunner adminKey(
      ApiKeys keys, SecuritySettings settings, HeadpruneProperties properties) {
    return arguments -> {
      if (properties.role().servesApi()) {
        keys.bootstrap(settings.adminKey(), properties.dataDir().resolve("admin.key"));
      } else {
        log.debug("worker role: no admin key bootstrap");
      }
    };
  }
}
