-- Completion callbacks: where a job's terminal status is POSTed, its signing secret (AES-GCM with
-- the key-encryption key), and every delivery attempt.
create table callbacks (
    job_id            uuid        primary key references jobs (id) on delete cascade,
    tenant            text        not null,
    url               text        not null,
    secret            bytea       not null,
    first_attempt_at  timestamptz,
    delivered_at      timestamptz,
    given_up_at       timestamptz
);

create table callback_attempts (
    id        bigserial   primary key,
    job_id    uuid        not null references jobs (id) on delete cascade,
    attempt   integer     not null,
    at        timestamptz not null,
    status    integer,
    error     text
);
create index callback_attempts_job_idx on callback_attempts (job_id);
