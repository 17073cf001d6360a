-- A job's plan (passes per phase, JSON; known at submission, refined by the worker from the data it
-- read), the share of it done and the estimated end (from the pass times measured while it runs).
alter table jobs add column plan text;
alter table jobs add column fraction double precision;
alter table jobs add column eta timestamp with time zone;
