-- Image datasets (ViT): a stored directory holding dataset.jsonl and the images it names.
alter table datasets drop constraint datasets_format_check;
alter table datasets add constraint datasets_format_check check (format in ('jsonl', 'csv', 'tsv', 'images'));
