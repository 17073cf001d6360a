package io.headprune.jobs;

import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.springframework.data.domain.Page;
import org.springframework.data.domain.Pageable;
import org.springframework.data.jpa.repository.JpaRepository;
import org.springframework.data.jpa.repository.Modifying;
import org.springframework.data.jpa.repository.Query;

/** Spring Data repositories of the jobs package. */
final class Repositories {

  private Repositories() {}

  interface Models extends JpaRepository<ModelEntity, UUID> {
    Optional<ModelEntity> findBySha256(String sha256);
  }

  interface Datasets extends JpaRepository<DatasetEntity, UUID> {
    Optional<DatasetEntity> findBySha256(String sha256);
  }

  interface JobRows extends JpaRepository<JobEntity, UUID> {
    Page<JobEntity> findByStatus(JobStatus status, Pageable pageable);

    long countByStatus(JobStatus status);

    @Query("select j.cancelRequested from JobEntity j where j.id = ?1")
    Optional<Boolean> cancelRequested(UUID id);

    @Modifying
    @Query("update JobEntity j set j.phase = ?2, j.progressDone = ?3, j.progressTotal = ?4, j.updatedAt = ?5 where j.id = ?1")
    int progress(UUID id, String phase, long done, long total, java.time.Instant now);
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
