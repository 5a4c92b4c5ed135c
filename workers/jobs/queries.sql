-- Jobs repository: the only place ops.jobs / ops.job_hosts / ops.host_locks / ops.job_stdout SQL runs.

-- name: insert_job
INSERT INTO ops.jobs (action, intent, hosts, requested_by, status, needs_approval, approval_expires_at,
                      not_before, awx_template)
VALUES (%(action)s, %(intent)s, %(hosts)s, %(requested_by)s, %(status)s, %(needs_approval)s,
        %(approval_expires_at)s, %(not_before)s, %(awx_template)s)
RETURNING *;

-- name: lock_hosts
INSERT INTO ops.host_locks (host, job_id)
SELECT unnest(%(hosts)s::text[]), %(job_id)s
ON CONFLICT (host) DO NOTHING
RETURNING host;

-- name: lock_holders
SELECT l.host, l.job_id, j.status, j.requested_by
FROM ops.host_locks l JOIN ops.jobs j ON j.id = l.job_id
WHERE l.host = ANY(%(hosts)s) AND l.job_id <> %(job_id)s
ORDER BY l.host;

-- name: release_hosts
DELETE FROM ops.host_locks WHERE job_id = %(job_id)s;

-- name: insert_pending_hosts
INSERT INTO ops.job_hosts (job_id, host, status)
SELECT %(job_id)s, unnest(%(hosts)s::text[]), 'pending';

-- name: get_job
SELECT * FROM ops.jobs WHERE id = %(job_id)s;

-- name: get_job_view
-- The API's GET /jobs/{id} in one round trip: the job, its hosts (as job_hosts returns them) and its
-- failures (as kb's job_failures returns them, for kb.service.failure_view).
SELECT j.*,
       COALESCE((SELECT json_agg(h ORDER BY h.host)
                 FROM (SELECT host, status, ok, changed, unreachable, failed, skipped, rescued, ignored
                       FROM ops.job_hosts WHERE job_id = j.id) h), '[]'::json) AS host_rows,
       COALESCE((SELECT json_agg(f ORDER BY f.id)
                 FROM (SELECT f.id, f.host, f.task, f.play, f.module, f.rc, f.message, f.match_text, f.item,
                              f.unreachable, f.kb_slug, f.match_kind, f.score, f.match_via, f.related,
                              e.title, e.category, e.solution
                       FROM ops.failures f LEFT JOIN kb.entries e ON e.slug = f.kb_slug
                       WHERE f.job_id = j.id) f), '[]'::json) AS failure_rows
FROM ops.jobs j WHERE j.id = %(job_id)s;

-- name: get_job_for_update
SELECT * FROM ops.jobs WHERE id = %(job_id)s FOR UPDATE;

-- name: set_status
UPDATE ops.jobs
SET status = %(status)s, updated_at = now(), error = COALESCE(%(error)s, error),
    started_at = CASE WHEN %(status)s = 'running' AND started_at IS NULL THEN now() ELSE started_at END,
    finished_at = CASE WHEN %(status)s IN ('succeeded', 'failed', 'canceled', 'error') THEN now() ELSE finished_at END
WHERE id = %(job_id)s
RETURNING *;

-- name: mark_launching
UPDATE ops.jobs
SET status = 'launching', launch_attempts = launch_attempts + 1,
    launch_started_at = COALESCE(launch_started_at, now()), updated_at = now()
WHERE id = %(job_id)s
RETURNING *;

-- name: mark_running
UPDATE ops.jobs
SET status = 'running', awx_job_id = %(awx_job_id)s, awx_status = %(awx_status)s, awx_job_type = %(awx_job_type)s,
    started_at = COALESCE(started_at, now()), updated_at = now(), poll_count = 0
WHERE id = %(job_id)s
RETURNING *;

-- name: advance_poll
-- Claims poll number %(expected)s; a duplicate or stale poll message matches no row and is dropped.
UPDATE ops.jobs
SET poll_count = poll_count + 1, awx_status = %(awx_status)s, updated_at = now()
WHERE id = %(job_id)s AND status = 'running' AND poll_count = %(expected)s
RETURNING *;

-- name: request_cancel
UPDATE ops.jobs SET cancel_requested = true, updated_at = now() WHERE id = %(job_id)s RETURNING *;

-- name: approve
UPDATE ops.jobs SET approved_by = %(approver)s, approved_at = now(), updated_at = now()
WHERE id = %(job_id)s RETURNING *;

-- name: job_hosts
SELECT host, status, ok, changed, unreachable, failed, skipped, rescued, ignored
FROM ops.job_hosts WHERE job_id = %(job_id)s ORDER BY host;

-- name: upsert_job_host
INSERT INTO ops.job_hosts (job_id, host, status, ok, changed, unreachable, failed, skipped, rescued, ignored)
VALUES (%(job_id)s, %(host)s, %(status)s, %(ok)s, %(changed)s, %(unreachable)s, %(failed)s, %(skipped)s,
        %(rescued)s, %(ignored)s)
ON CONFLICT (job_id, host) DO UPDATE
SET status = EXCLUDED.status, ok = EXCLUDED.ok, changed = EXCLUDED.changed, unreachable = EXCLUDED.unreachable,
    failed = EXCLUDED.failed, skipped = EXCLUDED.skipped, rescued = EXCLUDED.rescued, ignored = EXCLUDED.ignored;

-- name: save_stdout
INSERT INTO ops.job_stdout (job_id, content, size_bytes, truncated, failed_events)
VALUES (%(job_id)s, %(content)s, %(size_bytes)s, %(truncated)s, %(failed_events)s)
ON CONFLICT (job_id) DO UPDATE
SET content = EXCLUDED.content, size_bytes = EXCLUDED.size_bytes, truncated = EXCLUDED.truncated,
    failed_events = EXCLUDED.failed_events;

-- name: analysis_pending
-- collect: the job's output awaits analysis (set in the commit that stores the output and the final status).
UPDATE ops.jobs SET analysis = 'pending' WHERE id = %(job_id)s;

-- name: stale_analyses
-- Finished jobs whose analysis message may have been lost: the sweeper re-sends it.
SELECT id FROM ops.jobs
WHERE analysis = 'pending' AND updated_at < now() - make_interval(secs => %(after_s)s)
ORDER BY id
LIMIT %(limit)s
FOR UPDATE SKIP LOCKED;

-- name: get_stdout
SELECT content, size_bytes, truncated FROM ops.job_stdout WHERE job_id = %(job_id)s;

-- name: note_error
UPDATE ops.jobs SET error = %(error)s, updated_at = now() WHERE id = %(job_id)s;

-- name: list_jobs
SELECT * FROM ops.jobs
WHERE (%(status)s::text IS NULL OR status = %(status)s)
  AND (%(host)s::text IS NULL OR %(host)s = ANY(hosts))
  AND (%(requested_by)s::text IS NULL OR requested_by = %(requested_by)s)
ORDER BY id DESC
LIMIT %(limit)s OFFSET %(offset)s;

-- name: count_jobs
SELECT count(*) AS n FROM ops.jobs
WHERE (%(status)s::text IS NULL OR status = %(status)s)
  AND (%(host)s::text IS NULL OR %(host)s = ANY(hosts))
  AND (%(requested_by)s::text IS NULL OR requested_by = %(requested_by)s);

-- name: last_job
SELECT * FROM ops.jobs WHERE requested_by = %(requested_by)s ORDER BY id DESC LIMIT 1;

-- name: due_scheduled
SELECT id, needs_approval, approved_at FROM ops.jobs
WHERE status = 'scheduled' AND not_before <= now()
  AND (needs_approval = false OR approved_by IS NOT NULL)
ORDER BY not_before, id
LIMIT %(limit)s
FOR UPDATE SKIP LOCKED;

-- name: stale_jobs
-- Jobs whose next message may have been lost (worker killed, broker restarted): the sweeper re-sends it.
SELECT id, status, poll_count FROM ops.jobs
WHERE (status IN ('queued', 'launching') AND updated_at < now() - make_interval(secs => %(queued_after_s)s))
   OR (status IN ('running', 'collecting') AND updated_at < now() - make_interval(secs => %(running_after_s)s))
ORDER BY id
LIMIT %(limit)s;

-- name: expired_approvals
SELECT id FROM ops.jobs
WHERE status = 'awaiting_approval' AND approval_expires_at IS NOT NULL AND approval_expires_at <= now()
LIMIT %(limit)s
FOR UPDATE SKIP LOCKED;

-- name: touch
UPDATE ops.jobs SET updated_at = now() WHERE id = %(job_id)s;
