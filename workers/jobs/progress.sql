-- Live progress of running jobs: the only place ops.job_progress SQL runs.

-- name: get_progress
SELECT p.*, j.started_at, j.status, now() AS now
FROM ops.jobs j LEFT JOIN ops.job_progress p ON p.job_id = j.id
WHERE j.id = %(job_id)s;

-- name: save_progress
INSERT INTO ops.job_progress (job_id, last_counter, events, current_task, hosts, tasks, log_tail, finished, updated_at)
VALUES (%(job_id)s, %(last_counter)s, %(events)s, %(current_task)s, %(hosts)s, %(tasks)s, %(log_tail)s,
        %(finished)s, now())
ON CONFLICT (job_id) DO UPDATE SET
    last_counter = EXCLUDED.last_counter,
    events = EXCLUDED.events,
    current_task = EXCLUDED.current_task,
    hosts = EXCLUDED.hosts,
    tasks = EXCLUDED.tasks,
    log_tail = EXCLUDED.log_tail,
    finished = EXCLUDED.finished,
    updated_at = now();
