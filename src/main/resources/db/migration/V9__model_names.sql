-- What the uploader calls a model (the pruned model's card names it as its base model).
alter table models add column name text;
