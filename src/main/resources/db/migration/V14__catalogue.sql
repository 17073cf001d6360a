-- The catalogue: datasets get a name like models, both get labels (a JSON object of string keys and
-- values, '{}' when none) to find them by, and listings newest first per tenant.
alter table datasets add column name text;
alter table models add column labels text not null default '{}';
alter table datasets add column labels text not null default '{}';
create index models_by_tenant_newest on models (tenant, created_at desc, id);
create index datasets_by_tenant_newest on datasets (tenant, created_at desc, id);
