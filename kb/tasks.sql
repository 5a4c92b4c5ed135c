-- The analysis task's one read: what collect stored for the job (ops.job_stdout, written by workers.jobs).

-- name: job_output
SELECT content, failed_events FROM ops.job_stdout WHERE job_id = %(job_id)s;
