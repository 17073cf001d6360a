package io.headprune.jobs;

import java.time.Duration;
import java.util.List;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * {@code headprune.callbacks.*}: where completion callbacks may go.
 *
 * @param allowedHosts host names a callback URL may name ({@code hooks.example.com}, or {@code
 *     *.example.com} for its subdomains); empty: callbacks are refused
 * @param allowPrivateNetworks whether a host may resolve to loopback, link-local, private or
 *     unique-local addresses (off: the service is no way into the cluster)
 * @param allowHttp whether plain http URLs are accepted (off: https only)
 * @param retryFor how long failed deliveries are retried
 * @param firstRetry the first retry's delay; each next one doubles, up to 10 minutes
 */
@ConfigurationProperties("headprune.callbacks")
public record CallbackSettings(
    @DefaultValue List<String> allowedHosts,
    @DefaultValue("false") boolean allowPrivateNetworks,
    @DefaultValue("false") boolean allowHttp,
    @DefaultValue("1h") Duration retryFor,
    @DefaultValue("1s") Duration firstRetry) {}
