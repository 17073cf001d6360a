package io.headprune.tenancy;

import jakarta.persistence.LockModeType;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.springframework.data.domain.Page;
import org.springframework.data.domain.Pageable;
import org.springframework.data.jpa.repository.JpaRepository;
import org.springframework.data.jpa.repository.Lock;
import org.springframework.data.jpa.repository.Modifying;
import org.springframework.data.jpa.repository.Query;

/** Spring Data repositories of the tenancy package. */
final class TenancyRepositories {

  private TenancyRepositories() {}

  interface Tenants extends JpaRepository<TenantEntity, String> {
    /**
     * The tenant's row, locked until the transaction ends: quota checks of one tenant take turns.
     */
    @Lock(LockModeType.PESSIMISTIC_WRITE)
    @Query("select t from TenantEntity t where t.id = ?1")
    Optional<TenantEntity> lockById(String id);
  }

  interface Keys extends JpaRepository<ApiKeyEntity, String> {
    List<ApiKeyEntity> findByTenantOrderByCreatedAtAsc(String tenant);

    List<ApiKeyEntity> findAllByOrderByTenantAscCreatedAtAsc();

    /** Records a use at most once a minute per key, so verifying a key rarely writes. */
    @Modifying
    @Query(
        "update ApiKeyEntity k set k.lastUsedAt = ?2 where k.prefix = ?1 and (k.lastUsedAt is null or k.lastUsedAt < ?3)")
    int touch(String prefix, Instant now, Instant before);
  }

  interface AuditRows extends JpaRepository<AuditEntity, Long> {
    Page<AuditEntity> findByTenant(String tenant, Pageable pageable);

    @Query(
        "select count(a) from AuditEntity a where a.tenant = ?1 and a.action in ?2 and a.at > ?3")
    long countSince(String tenant, List<String> actions, Instant since);

    @Query(
        "select min(a.at) from AuditEntity a where a.tenant = ?1 and a.action in ?2 and a.at > ?3")
    Optional<Instant> oldestSince(String tenant, List<String> actions, Instant since);
  }
}
