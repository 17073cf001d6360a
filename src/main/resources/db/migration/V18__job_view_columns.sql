-- A job view reads columns and serves documents as stored; it never parses the queued request
-- (which the worker reads once per attempt): the model's Hub repository and revision get columns,
-- and the request as submitted (every default filled in, the callback without its secret) is
-- kept beside the versioned document the worker reads, to be served as it is.
alter table jobs add column model_hub text;
alter table jobs add column model_revision text;
alter table jobs add column asked text;
-- rows of schema 2 and 3 wrap the request ({"schema": n, "request": {...}}); schema 1 is bare
update jobs
   set asked = case when request::jsonb ? 'schema' then (request::jsonb -> 'request')::text
                    else request end;
update jobs
   set model_hub = asked::jsonb -> 'model' ->> 'hub',
       model_revision = asked::jsonb -> 'model' ->> 'revision';
