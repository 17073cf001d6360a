package io.headprune.jobs;

import jakarta.persistence.LockModeType;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.springframework.data.domain.Page;
import org.springframework.data.domain.Pageable;
import org.springframework.data.jpa.repository.JpaRepository;
import org.springframework.data.jpa.repository.Lock;
import org.springframework.data.jpa.repository.Modifying;
import org.springframework.data.jpa.repository.Query;
import org.springframework.data.repository.query.Param;

/** Spring Data repositories of the jobs package. */
final class Repositories {

  private Repositories() {}

  /*
   * Every query the API makes names the tenant: another tenant's row is as absent as a missing one.
   * Unscoped lookups by id (findById) are the worker's, which runs a job whose row it has claimed.
   */

  interface Models extends JpaRepository<ModelEntity, UUID> {
    Optional<ModelEntity> findByTenantAndSha256(String tenant, String sha256);

    Optional<ModelEntity> findFirstByTenantAndArchiveSha256(String tenant, String archiveSha256);

    Optional<ModelEntity> findByIdAndTenant(UUID id, String tenant);

    /**
     * The tenant's models named {@code name} (null: any) whose labels include {@code labels} (a
     * JSON object), newest first.
     */
    @Query(
        value =
            "select * from models m where m.tenant = :tenant"
                + " and (cast(:name as text) is null or m.name = cast(:name as text))"
                + " and cast(m.labels as jsonb) @> cast(:labels as jsonb)"
                + " order by m.created_at desc, m.id",
        countQuery =
            "select count(*) from models m where m.tenant = :tenant"
                + " and (cast(:name as text) is null or m.name = cast(:name as text))"
                + " and cast(m.labels as jsonb) @> cast(:labels as jsonb)",
        nativeQuery = true)
    Page<ModelEntity> search(
        @Param("tenant") String tenant,
        @Param("name") String name,
        @Param("labels") String labels,
        Pageable page);

    /**
     * The row, locked until the transaction ends: a job inserted meanwhile waits for the delete.
     */
    @Lock(LockModeType.PESSIMISTIC_WRITE)
    @Query("select m from ModelEntity m where m.id = ?1 and m.tenant = ?2")
    Optional<ModelEntity> lockById(UUID id, String tenant);

    /** The row, share-locked: a delete waits until the job that reads it is committed. */
    @Lock(LockModeType.PESSIMISTIC_READ)
    @Query("select m from ModelEntity m where m.id = ?1 and m.tenant = ?2")
    Optional<ModelEntity> shareById(UUID id, String tenant);
  }

  interface Datasets extends JpaRepository<DatasetEntity, UUID> {
    Optional<DatasetEntity> findByTenantAndSha256(String tenant, String sha256);

    Optional<DatasetEntity> findByIdAndTenant(UUID id, String tenant);

    /**
     * The tenant's datasets named {@code name} (null: any) whose labels include {@code labels} (a
     * JSON object), newest first.
     */
    @Query(
        value =
            "select * from datasets d where d.tenant = :tenant"
                + " and (cast(:name as text) is null or d.name = cast(:name as text))"
                + " and cast(d.labels as jsonb) @> cast(:labels as jsonb)"
                + " order by d.created_at desc, d.id",
        countQuery =
            "select count(*) from datasets d where d.tenant = :tenant"
                + " and (cast(:name as text) is null or d.name = cast(:name as text))"
                + " and cast(d.labels as jsonb) @> cast(:labels as jsonb)",
        nativeQuery = true)
    Page<DatasetEntity> search(
        @Param("tenant") String tenant,
        @Param("name") String name,
        @Param("labels") String labels,
        Pageable page);

    /** The row, locked until the transaction ends. */
    @Lock(LockModeType.PESSIMISTIC_WRITE)
    @Query("select d from DatasetEntity d where d.id = ?1 and d.tenant = ?2")
    Optional<DatasetEntity> lockById(UUID id, String tenant);

    /** The row, share-locked. */
    @Lock(LockModeType.PESSIMISTIC_READ)
    @Query("select d from DatasetEntity d where d.id = ?1 and d.tenant = ?2")
    Optional<DatasetEntity> shareById(UUID id, String tenant);
  }

  interface JobRows extends JpaRepository<JobEntity, UUID> {
    /**
     * The tenant's jobs with {@code status}, {@code name} and {@code externalId} (each null: any)
     * whose labels include {@code labels} (a JSON object), newest first.
     */
    @Query(
        value =
            "select * from jobs j where j.tenant = :tenant"
                + JOB_FILTERS
                + " order by j.created_at desc, j.id",
        countQuery = "select count(*) from jobs j where j.tenant = :tenant" + JOB_FILTERS,
        nativeQuery = true)
    Page<JobEntity> search(
        @Param("tenant") String tenant,
        @Param("status") String status,
        @Param("name") String name,
        @Param("externalId") String externalId,
        @Param("labels") String labels,
        Pageable page);

    String JOB_FILTERS =
        " and (cast(:status as text) is null or j.status = cast(:status as text))"
            + " and (cast(:name as text) is null or j.name = cast(:name as text))"
            + " and (cast(:externalId as text) is null"
            + " or j.external_id = cast(:externalId as text))"
            + " and cast(j.labels as jsonb) @> cast(:labels as jsonb)";

    Optional<JobEntity> findByIdAndTenant(UUID id, String tenant);

    long countByStatus(JobStatus status);

    long countByTenantAndStatus(String tenant, JobStatus status);

    /** A queued or running job that reads model {@code id}, if any. */
    @Query(
        "select j.id from JobEntity j where j.modelId = ?1 and j.status in ('QUEUED', 'RUNNING')")
    List<UUID> activeWithModel(UUID id, Pageable first);

    /** A queued or running job that reads dataset {@code id}, if any. */
    @Query(
        "select j.id from JobEntity j where (j.calibrationId = ?1 or j.evaluationId = ?1"
            + " or ?1 member of j.comparedIds)"
            + " and j.status in ('QUEUED', 'RUNNING')")
    List<UUID> activeWithDataset(UUID id, Pageable first);

    @Query("select j.cancelRequested from JobEntity j where j.id = ?1")
    Optional<Boolean> cancelRequested(UUID id);

    @Modifying
    @Query(
        "update JobEntity j set j.phase = ?2, j.progressDone = ?3, j.progressTotal = ?4, j.updatedAt = ?5 where j.id = ?1")
    int progress(UUID id, String phase, long done, long total, Instant now);

    /**
     * Progress of attempt {@code attempt}, written only while that attempt owns the running job.
     */
    @Modifying
    @Query(
        "update JobEntity j set j.phase = ?2, j.progressDone = ?3, j.progressTotal = ?4, j.updatedAt = ?5,"
            + " j.fraction = ?7, j.eta = ?8"
            + " where j.id = ?1 and j.attempt = ?6 and j.status = io.headprune.jobs.JobStatus.RUNNING")
    int progressOwned(
        UUID id,
        String phase,
        long done,
        long total,
        Instant now,
        int attempt,
        Double fraction,
        Instant eta);

    /** The plan the worker made from the data it read, if it still runs attempt {@code attempt}. */
    @Modifying
    @Query(
        "update JobEntity j set j.plan = ?2"
            + " where j.id = ?1 and j.attempt = ?3 and j.status = io.headprune.jobs.JobStatus.RUNNING")
    int planOwned(UUID id, String plan, int attempt);

    /** The peak memory per phase of attempt {@code attempt}, if the worker still runs it. */
    @Modifying
    @Query(
        "update JobEntity j set j.peakMemory = ?2"
            + " where j.id = ?1 and j.attempt = ?3 and j.status = io.headprune.jobs.JobStatus.RUNNING")
    int peakMemoryOwned(UUID id, String peakMemory, int attempt);

    /** The job row, locked: whoever writes a result holds it until the write commits. */
    @Lock(LockModeType.PESSIMISTIC_WRITE)
    @Query("select j from JobEntity j where j.id = ?1")
    Optional<JobEntity> lockById(UUID id);
  }

  interface HeadScores extends JpaRepository<HeadScoreEntity, Long> {
    List<HeadScoreEntity> findByJobIdOrderBySeedAscLayerAscHeadAsc(UUID jobId);

    void deleteByJobId(UUID jobId);
  }

  interface Evaluations extends JpaRepository<EvaluationEntity, Long> {
    List<EvaluationEntity> findByJobIdOrderByIdAsc(UUID jobId);

    void deleteByJobId(UUID jobId);
  }

  interface Artifacts extends JpaRepository<ArtifactEntity, Long> {
    List<ArtifactEntity> findByJobId(UUID jobId);

    Optional<ArtifactEntity> findByJobIdAndKind(UUID jobId, String kind);

    void deleteByJobId(UUID jobId);
  }
}
