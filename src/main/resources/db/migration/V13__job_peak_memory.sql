-- The peak resident memory of the worker process in each phase of a job's latest attempt (JSON:
-- phase -> bytes), written as each phase ends.
alter table jobs add column peak_memory text;
