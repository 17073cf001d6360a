-- What happened to a job, in order (GET /v1/jobs/{id}/events): submission and plan, each attempt's
-- start, phase changes, the automatic α and target decisions, retries and the end.
create table job_events (
    id      bigserial   primary key,
    job_id  uuid        not null references jobs (id) on delete cascade,
    at      timestamptz not null,
    attempt int         not null,
    kind    text        not null,
    phase   text,
    detail  text        not null
);
create index job_events_job on job_events (job_id, id);
