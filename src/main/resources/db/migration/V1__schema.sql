-- headprune schema: uploaded models and datasets (content-addressed), pruning jobs with their
-- progress and results, and db-scheduler's queue table.

create table models (
    id            uuid primary key,
    sha256        char(64)    not null unique,
    source        text        not null check (source in ('upload', 'hub')),
    hub_repo      text,
    hub_revision  text,
    hub_commit    text,
    architecture  text        not null,
    layers        integer     not null,
    heads         integer     not null,
    parameters    bigint      not null,
    storage_path  text        not null,
    created_at    timestamptz not null
);

create table datasets (
    id            uuid primary key,
    sha256        char(64)    not null unique,
    format        text        not null check (format in ('jsonl', 'csv', 'tsv')),
    rows          integer     not null,
    storage_path  text        not null,
    created_at    timestamptz not null
);

create table jobs (
    id               uuid primary key,
    status           text        not null check (status in ('QUEUED', 'RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELLED')),
    phase            text        not null,
    progress_done    bigint      not null default 0,
    progress_total   bigint      not null default 0,
    attempt          integer     not null default 0,
    cancel_requested boolean     not null default false,
    model_id         uuid        references models (id),
    calibration_id   uuid        not null references datasets (id),
    evaluation_id    uuid        references datasets (id),
    request          text        not null,
    error            text,
    result           text,
    worker           text,
    hub_commit       text,
    created_at       timestamptz not null,
    started_at       timestamptz,
    finished_at      timestamptz,
    updated_at       timestamptz not null
);
create index jobs_status_created_idx on jobs (status, created_at);

create table head_scores (
    id            bigserial primary key,
    job_id        uuid             not null references jobs (id) on delete cascade,
    seed          integer,
    layer         integer          not null,
    head          integer          not null,
    his           double precision not null,
    entropy       double precision not null,
    his_norm      double precision not null,
    entropy_norm  double precision not null,
    hies          double precision not null,
    pruned        boolean          not null
);
create index head_scores_job_idx on head_scores (job_id);

create table evaluations (
    id            bigserial primary key,
    job_id        uuid             not null references jobs (id) on delete cascade,
    criterion     text             not null,
    sparsity      double precision not null,
    seed          integer          not null,
    metric_name   text             not null,
    metric_value  double precision,
    agreement     double precision,
    pruned_heads  text             not null
);
create index evaluations_job_idx on evaluations (job_id);

create table artifacts (
    id          bigserial primary key,
    job_id      uuid        not null references jobs (id) on delete cascade,
    kind        text        not null check (kind in ('pruned', 'masked', 'scores', 'report')),
    uri         text        not null,
    sha256      char(64)    not null,
    bytes       bigint      not null,
    created_at  timestamptz not null,
    unique (job_id, kind)
);

-- db-scheduler (PostgreSQL schema of db-scheduler 16)
create table scheduled_tasks (
    task_name             text                     not null,
    task_instance         text                     not null,
    task_data             bytea,
    execution_time        timestamp with time zone not null,
    picked                boolean                  not null,
    picked_by             text,
    last_success          timestamp with time zone,
    last_failure          timestamp with time zone,
    consecutive_failures  integer,
    last_heartbeat        timestamp with time zone,
    version               bigint                   not null,
    priority              smallint,
    primary key (task_name, task_instance)
);
create index execution_time_idx on scheduled_tasks (execution_time);
create index last_heartbeat_idx on scheduled_tasks (last_heartbeat);
create index priority_execution_time_idx on scheduled_tasks (priority desc, execution_time asc);
