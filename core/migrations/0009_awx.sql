-- patchpilot 0009 (awx): what a real AWX needs the job tables to hold.
-- A sliced template launches a workflow job, followed and canceled under /workflow_jobs/: the kind is stored
-- beside the id. A requested host AWX never ran (disabled, or missing from its inventory) is 'not_run', not
-- 'skipped'. The failed events collect read are kept for the analysis task, which runs after collect commits.
ALTER TABLE ops.jobs ADD COLUMN awx_job_type text NOT NULL DEFAULT 'job'
    CHECK (awx_job_type IN ('job', 'workflow_job'));
ALTER TABLE ops.job_hosts DROP CONSTRAINT job_hosts_status_check;
ALTER TABLE ops.job_hosts ADD CONSTRAINT job_hosts_status_check
    CHECK (status IN ('pending', 'ok', 'changed', 'failed', 'unreachable', 'skipped', 'not_run'));
ALTER TABLE ops.job_stdout ADD COLUMN failed_events jsonb NOT NULL DEFAULT '[]';
