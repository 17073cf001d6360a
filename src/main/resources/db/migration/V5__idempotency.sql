-- Idempotent submissions: a tenant's Idempotency-Key names one job for 24 hours; the same key with
-- the same body answers that job again, another body is a conflict.
create table idempotency_keys (
    tenant        text        not null,
    key           text        not null,
    request_hash  char(64)    not null,
    job_id        uuid        not null,
    created_at    timestamptz not null,
    primary key (tenant, key)
);
create index idempotency_keys_created_idx on idempotency_keys (created_at);
