package io.headprune.jobs;

import io.headprune.hub.HubUpload;
import io.headprune.storage.ArchiveLimits;
import io.headprune.storage.Archives;
import io.headprune.storage.ArtifactStore;
import io.headprune.tenancy.Audit;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.UUID;
import org.springframework.stereotype.Component;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * Pushes a succeeded job's {@code pruned/} or {@code masked/} model, with its card, to a Hub model
 * repository ({@code POST /v1/jobs/{id}/push}), with the tenant's Hub token (the default tenant:
 * else the service's {@code HF_TOKEN}), as one commit.
 */
@Component
public class JobPush {

  private final Jobs jobs;
  private final Catalog catalog;
  private final ArtifactStore store;
  private final ArchiveLimits limits;
  private final Audit audit;
  private final TransactionTemplate transactions;

  JobPush(
      Jobs jobs,
      Catalog catalog,
      ArtifactStore store,
      ArchiveLimits limits,
      Audit audit,
      PlatformTransactionManager transactionManager) {
    this.jobs = jobs;
    this.catalog = catalog;
    this.store = store;
    this.limits = limits;
    this.audit = audit;
    this.transactions = new TransactionTemplate(transactionManager);
  }

  /** Pushes job {@code id}'s {@code kind} model to {@code repo} at {@code revision}. */
  public HubUpload.Pushed push(
      UUID id, String kind, String repo, String revision, boolean privateRepo) {
    HubUpload.check(repo, revision);
    Jobs.StoredArtifact artifact = jobs.artifact(id, kind);
    Path scratch = store.incoming();
    try {
      Files.createDirectories(scratch);
      // the service's own archive: bounded by its size, not by the upload limit it may exceed
      ArchiveLimits own =
          new ArchiveLimits(
              limits.maxEntries(),
              Math.max(limits.maxExpandedBytes(), 4 * artifact.bytes() + (1L << 30)),
              limits.maxCompressionRatio());
      Archives.extract(artifact.path(), artifact.path().getFileName().toString(), scratch, own);
      HubUpload.Pushed pushed =
          new HubUpload(catalog.hubSettings())
              .push(
                  scratch.resolve(kind),
                  repo,
                  revision,
                  privateRepo,
                  "headprune job " + id + ": " + kind);
      // (no transaction is held while the model uploads: only for the audit row)
      transactions.executeWithoutResult(status -> audit.record("job.push", id));
      return pushed;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } finally {
      ArtifactStore.delete(scratch);
    }
  }
}
