-- Datasets as people have them: JSON, Parquet and compressed text files, and Hub splits stored as
-- a directory of shards; a Hub split records where it came from (repository, commit, config,
-- split, files, bytes downloaded, label names).
alter table datasets drop constraint datasets_format_check;
alter table datasets add constraint datasets_format_check check (
    format in ('jsonl', 'json', 'csv', 'tsv', 'parquet', 'images', 'split')
    or format ~ '^(jsonl|json|csv|tsv)\.(gz|zst)$');
alter table datasets add column origin text;
-- a job records the datasets it reads and, for Hub splits, the commit and files they resolved to
alter table jobs add column data text;
