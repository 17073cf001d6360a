package io.headprune.tenancy;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.util.unit.DataSize;

/**
 * Per-tenant quotas ({@code headprune.quota.*}), the same for every tenant.
 *
 * @param queuedJobs most jobs a tenant may have waiting (a submission beyond it: 429)
 * @param runningJobs most jobs of a tenant that run at once (more wait in the queue)
 * @param storedBytes most bytes of models, datasets and outputs a tenant may store (an upload
 *     beyond it: 413)
 * @param uploadsPerHour most uploads a tenant may make in any hour (beyond it: 429)
 */
@ConfigurationProperties("headprune.quota")
public record QuotaSettings(
    @DefaultValue("100") int queuedJobs,
    @DefaultValue("4") int runningJobs,
    @DefaultValue("100GB") DataSize storedBytes,
    @DefaultValue("120") int uploadsPerHour) {

  public QuotaSettings {
    if (queuedJobs < 1 || runningJobs < 1 || uploadsPerHour < 1 || storedBytes.toBytes() < 1) {
      throw new IllegalArgumentException("every headprune.quota setting must be at least 1");
    }
  }
}
