-- Tenancy: every model, dataset, job and output belongs to a tenant; API keys (stored as hashes)
-- give a tenant and a role; an audit row records every state change. Existing rows go to 'default'.
create table tenants (
    id          text        primary key check (id ~ '^[a-z0-9][a-z0-9-]{0,62}$'),
    created_at  timestamptz not null,
    hub_token   bytea       -- AES-GCM with the configured key-encryption key: nonce || ciphertext
);
insert into tenants (id, created_at) values ('default', now());

create table api_keys (
    prefix        text        primary key,   -- the key's first characters, shown in listings
    hash          bytea       not null unique, -- SHA-256 of the whole key
    tenant        text        not null references tenants (id),
    role          text        not null check (role in ('platform-admin', 'admin', 'member', 'read')),
    created_at    timestamptz not null,
    last_used_at  timestamptz,
    revoked       boolean     not null default false,
    revoked_at    timestamptz
);
create index api_keys_tenant_idx on api_keys (tenant);

alter table models add column tenant text not null default 'default' references tenants (id);
alter table models alter column tenant drop default;
alter table models drop constraint models_sha256_key;
alter table models add constraint models_tenant_sha256_key unique (tenant, sha256);
alter table models add column bytes bigint; -- stored bytes; null until measured (rows older than this column)

alter table datasets add column tenant text not null default 'default' references tenants (id);
alter table datasets alter column tenant drop default;
alter table datasets drop constraint datasets_sha256_key;
alter table datasets add constraint datasets_tenant_sha256_key unique (tenant, sha256);
alter table datasets add column bytes bigint;

alter table jobs add column tenant text not null default 'default' references tenants (id);
alter table jobs alter column tenant drop default;
drop index jobs_status_created_idx;
create index jobs_tenant_status_created_idx on jobs (tenant, status, created_at);

alter table head_scores add column tenant text not null default 'default';
alter table head_scores alter column tenant drop default;
alter table evaluations add column tenant text not null default 'default';
alter table evaluations alter column tenant drop default;
alter table artifacts add column tenant text not null default 'default';
alter table artifacts alter column tenant drop default;
create index artifacts_tenant_idx on artifacts (tenant);

create table audit (
    id        bigserial   primary key,
    tenant    text        not null,
    actor     text        not null,  -- an API key's prefix or a token's subject
    action    text        not null,
    target    text,
    at        timestamptz not null
);
create index audit_tenant_at_idx on audit (tenant, at desc);
create index audit_tenant_action_at_idx on audit (tenant, action, at);
