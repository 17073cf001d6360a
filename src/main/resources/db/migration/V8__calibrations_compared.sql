-- Calibration sets a job compares with its own (request "calibrations"), in request order: a
-- dataset read by a queued or running job cannot be deleted, and one deleted after the job ended
-- leaves the row with no dataset.
create table job_calibrations (
    job_id     uuid    not null references jobs (id) on delete cascade,
    position   integer not null,
    dataset_id uuid    references datasets (id) on delete set null,
    primary key (job_id, position)
);
create index job_calibrations_dataset on job_calibrations (dataset_id);
