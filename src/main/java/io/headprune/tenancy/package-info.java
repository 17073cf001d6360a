/**
 * Tenants, their API keys, quotas and audit trail. Every model, dataset, job and output belongs to
 * a tenant; a request acts as a {@link io.headprune.tenancy.Caller} (a tenant, a role and who it
 * is), which the security layer puts in Spring Security's context.
 */
package io.headprune.tenancy;
