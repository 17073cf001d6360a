package io.headprune.jobs;

import io.headprune.checkpoint.DatasetReader;
import io.headprune.model.NativeThreads;
import io.headprune.storage.ArchiveLimits;
import io.headprune.storage.ArtifactStore;
import io.headprune.system.HeadpruneProperties;
import io.headprune.tenancy.Quotas;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

/** Wiring of the jobs package. */
@Configuration(proxyBeanMethods = false)
class JobsConfiguration {

  @Bean
  JobEndings jobEndings(Callbacks callbacks, JobMetrics metrics, JobEvents events) {
    return new JobEndings(callbacks, metrics, events);
  }

  @Bean
  JobResults jobResults(
      Repositories.JobRows jobs,
      Repositories.HeadScores scores,
      Repositories.Evaluations evaluations,
      Repositories.Artifacts artifacts,
      ArtifactStore store,
      PlatformTransactionManager transactions,
      Clock clock,
      JobEndings endings) {
    return new JobResults(
        jobs,
        scores,
        evaluations,
        artifacts,
        store,
        new TransactionTemplate(transactions),
        clock,
        endings);
  }

  @Bean
  WorkerDevices workerDevices(
      @Value("${headprune.worker.devices:auto}") String devices,
      @Value("${headprune.worker.concurrency:1}") int concurrency) {
    return new WorkerDevices(devices, concurrency, NativeThreads.engineThreads());
  }

  @Bean
  JobRunner jobRunner(
      Repositories.JobRows jobs,
      Catalog catalog,
      JobResults results,
      ArtifactStore store,
      WorkerDevices devices,
      PlatformTransactionManager transactions,
      JobMetrics metrics,
      List<JobListener> listeners,
      @Value("${headprune.worker.progress-interval:2s}") Duration progressInterval,
      @Value("${headprune.worker.nice:10}") int nice,
      @Value("${headprune.worker.isolate-tokenizer:true}") boolean isolateTokenizer,
      Clock clock,
      Quotas quotas,
      JobEndings endings,
      JobEvents events) {
    JobRunner runner =
        new JobRunner(
            quotas,
            jobs,
            catalog,
            results,
            store,
            devices,
            new TransactionTemplate(transactions),
            metrics,
            listeners,
            progressInterval,
            clock,
            workerName());
    runner.endings(endings);
    runner.events(events);
    runner.nice(nice);
    runner.isolateTokenizer(isolateTokenizer);
    return runner;
  }

  private static String workerName() {
    try {
      return InetAddress.getLocalHost().getHostName() + "/" + ProcessHandle.current().pid();
    } catch (UnknownHostException e) {
      return "pid-" + ProcessHandle.current().pid();
    }
  }

  @Bean
  ArchiveLimits archiveLimits(HeadpruneProperties properties) {
    var upload = properties.upload();
    return new ArchiveLimits(
        upload.maxEntries(), upload.maxExpandedBytes().toBytes(), upload.maxCompressionRatio());
  }

  @Bean
  DatasetReader.Limits datasetLimits(HeadpruneProperties properties) {
    return new DatasetReader.Limits(
        properties.dataset().maxRows(), properties.dataset().maxLineChars());
  }
}
