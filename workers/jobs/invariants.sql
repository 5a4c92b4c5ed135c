-- Invariants beat checks: read-only.

-- name: jobs_without_submit_audit
-- Every job row is born with its job.submit audit record in one transaction; a row without one is a
-- phantom (a refused submission that left its insert behind).
SELECT j.id, j.status, j.requested_by, j.created_at
FROM ops.jobs j
WHERE NOT EXISTS (
    SELECT 1 FROM ops.audit a
    WHERE a.object_type = 'job' AND a.object_id = j.id::text AND a.action = 'job.submit'
)
ORDER BY j.id
LIMIT %(limit)s;
