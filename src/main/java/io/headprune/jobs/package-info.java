/**
 * Models, datasets and pruning jobs: JPA entities (which stay in this package), the db-scheduler
 * task that runs jobs on the worker pool, progress, cancellation and results. The public facades
 * are {@link io.headprune.jobs.Catalog} and {@link io.headprune.jobs.Jobs}.
 */
package io.headprune.jobs;
