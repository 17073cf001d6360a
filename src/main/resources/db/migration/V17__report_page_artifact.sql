-- report.html becomes an artifact with a row (kind reportPage) like report.json: its SHA-256 and
-- size are known, it counts toward the tenant's storage, and the page is served from its row.
-- Pages of earlier jobs have no row; they are still served from the job's directory.
alter table artifacts drop constraint artifacts_kind_check;
alter table artifacts add constraint artifacts_kind_check
    check (kind in ('pruned', 'masked', 'scores', 'report', 'reportPage'));
