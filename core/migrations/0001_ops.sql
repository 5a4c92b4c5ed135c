-- patchpilot 0001: the ops schema (jobs, per-host results, stdout, failures, audit).
CREATE EXTENSION IF NOT EXISTS vector;
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE SCHEMA IF NOT EXISTS ops;

CREATE TABLE ops.jobs (
    id              bigserial PRIMARY KEY,
    action          text NOT NULL CHECK (action IN ('patch', 'precheck', 'reboot')),
    intent          jsonb NOT NULL,
    hosts           text[] NOT NULL CHECK (cardinality(hosts) > 0),
    requested_by    text NOT NULL,
    status          text NOT NULL CHECK (status IN ('queued', 'scheduled', 'awaiting_approval', 'launching',
                        'running', 'collecting', 'succeeded', 'failed', 'canceled', 'error')),
    needs_approval  boolean NOT NULL DEFAULT false,
    approved_by     text,
    approved_at     timestamptz,
    approval_expires_at timestamptz,
    not_before      timestamptz,
    awx_template    text,
    awx_job_id      bigint,
    awx_status      text,
    launch_attempts integer NOT NULL DEFAULT 0,
    launch_started_at timestamptz,
    cancel_requested boolean NOT NULL DEFAULT false,
    poll_count      integer NOT NULL DEFAULT 0,
    error           text,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    started_at      timestamptz,
    finished_at     timestamptz
);
CREATE INDEX jobs_status_idx ON ops.jobs (status);
CREATE INDEX jobs_due_idx ON ops.jobs (not_before) WHERE status = 'scheduled';
CREATE INDEX jobs_hosts_idx ON ops.jobs USING gin (hosts);
CREATE INDEX jobs_requested_by_idx ON ops.jobs (requested_by, id DESC);

-- One active job per host: a row here while the job holds the host (primary key = the lock).
CREATE TABLE ops.host_locks (
    host   text PRIMARY KEY,
    job_id bigint NOT NULL REFERENCES ops.jobs (id) ON DELETE CASCADE
);
CREATE INDEX host_locks_job_idx ON ops.host_locks (job_id);

CREATE TABLE ops.job_hosts (
    job_id      bigint NOT NULL REFERENCES ops.jobs (id) ON DELETE CASCADE,
    host        text NOT NULL,
    status      text NOT NULL CHECK (status IN ('pending', 'ok', 'changed', 'failed', 'unreachable', 'skipped')),
    ok          integer NOT NULL DEFAULT 0,
    changed     integer NOT NULL DEFAULT 0,
    unreachable integer NOT NULL DEFAULT 0,
    failed      integer NOT NULL DEFAULT 0,
    skipped     integer NOT NULL DEFAULT 0,
    rescued     integer NOT NULL DEFAULT 0,
    ignored     integer NOT NULL DEFAULT 0,
    PRIMARY KEY (job_id, host)
);

CREATE TABLE ops.job_stdout (
    job_id     bigint PRIMARY KEY REFERENCES ops.jobs (id) ON DELETE CASCADE,
    content    text NOT NULL,
    size_bytes bigint NOT NULL,
    truncated  boolean NOT NULL DEFAULT false
);

CREATE TABLE ops.failures (
    id          bigserial PRIMARY KEY,
    job_id      bigint NOT NULL REFERENCES ops.jobs (id) ON DELETE CASCADE,
    host        text NOT NULL,
    task        text NOT NULL,
    play        text,
    module      text,
    rc          integer,
    message     text NOT NULL,
    match_text  text NOT NULL,
    item        text,
    unreachable boolean NOT NULL DEFAULT false,
    kb_slug     text,
    match_kind  text CHECK (match_kind IN ('exact', 'similar')),
    score       double precision,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX failures_job_idx ON ops.failures (job_id);
CREATE INDEX failures_slug_idx ON ops.failures (kb_slug);

CREATE TABLE ops.audit (
    id         bigserial PRIMARY KEY,
    at         timestamptz NOT NULL DEFAULT clock_timestamp(),
    actor      text NOT NULL,
    action     text NOT NULL,
    object_type text NOT NULL,
    object_id  text,
    source     text,
    detail     jsonb NOT NULL DEFAULT '{}'::jsonb
);
CREATE INDEX audit_at_idx ON ops.audit (at);
CREATE INDEX audit_object_idx ON ops.audit (object_type, object_id);

CREATE FUNCTION ops.audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'ops.audit is append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
END;
$$;
CREATE TRIGGER audit_append_only BEFORE UPDATE OR DELETE ON ops.audit
    FOR EACH ROW EXECUTE FUNCTION ops.audit_append_only();
CREATE TRIGGER audit_no_truncate BEFORE TRUNCATE ON ops.audit
    FOR EACH STATEMENT EXECUTE FUNCTION ops.audit_append_only();
