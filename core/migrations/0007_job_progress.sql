-- 0007 (ui): live progress of a running job, folded from AWX job events read incrementally during poll.
CREATE TABLE ops.job_progress (
    job_id       bigint PRIMARY KEY REFERENCES ops.jobs (id) ON DELETE CASCADE,
    last_counter integer NOT NULL DEFAULT 0 CHECK (last_counter >= 0),
    events       integer NOT NULL DEFAULT 0 CHECK (events >= 0),
    current_task text,
    hosts        jsonb NOT NULL DEFAULT '{}'::jsonb,
    tasks        jsonb NOT NULL DEFAULT '[]'::jsonb,
    log_tail     text NOT NULL DEFAULT '',
    finished     boolean NOT NULL DEFAULT false,
    updated_at   timestamptz NOT NULL DEFAULT now()
);
