-- Jobs get what models and datasets have, to be found by: a name, labels (a JSON object of string
-- keys and values, '{}' when none) and the id of the run that submitted them elsewhere (MLflow,
-- Airflow), each filterable in GET /v1/jobs.
alter table jobs add column name text;
alter table jobs add column labels text not null default '{}';
alter table jobs add column external_id text;
create index jobs_by_tenant_external_id on jobs (tenant, external_id) where external_id is not null;
create index jobs_by_tenant_name on jobs (tenant, name) where name is not null;
-- The worker pool that runs a job (its queue task is prune-job@<pool>, or prune-job for default).
alter table jobs add column pool text not null default 'default';
