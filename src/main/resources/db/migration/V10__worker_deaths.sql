-- How many times a worker died (stopped heartbeating) while it ran the job: a job that kills every
-- worker it meets is quarantined after headprune.jobs.max-worker-deaths.
alter table jobs add column worker_deaths int not null default 0;
