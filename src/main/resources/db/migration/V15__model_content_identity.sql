-- A model's identity is its content: sha256 becomes the SHA-256 of its files' sorted (path, SHA-256)
-- list, so the same files archived again (new modification times, another top directory, zip instead
-- of tar) are the same model and stored once; the uploaded archive's own SHA-256 is kept beside it
-- (and answers a re-upload of the very same bytes without extracting them). Models stored before this
-- keep the archive's hash as their identity.
alter table models add column archive_sha256 char(64);
update models set archive_sha256 = sha256 where source = 'upload';
create index models_by_tenant_archive on models (tenant, archive_sha256);
