-- Models and datasets can be deleted once no queued or running job uses them; the finished
-- jobs that used them keep their history (their request names the inputs) and lose the link.
alter table jobs alter column calibration_id drop not null;
alter table jobs drop constraint jobs_model_id_fkey;
alter table jobs add constraint jobs_model_id_fkey foreign key (model_id) references models (id) on delete set null;
alter table jobs drop constraint jobs_calibration_id_fkey;
alter table jobs add constraint jobs_calibration_id_fkey foreign key (calibration_id) references datasets (id) on delete set null;
alter table jobs drop constraint jobs_evaluation_id_fkey;
alter table jobs add constraint jobs_evaluation_id_fkey foreign key (evaluation_id) references datasets (id) on delete set null;
