-- patchpilot declared schema: the state all migrations together must produce (tests/integration/test_migrations.py).
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

-- kb schema (migration 0002): the knowledge base (entries with history and vectors, unmatched failure groups).
CREATE SCHEMA IF NOT EXISTS kb;

CREATE TABLE kb.entries (
    id               bigserial PRIMARY KEY,
    slug             text NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$'),
    title            text NOT NULL,
    category         text NOT NULL CHECK (category IN ('disk', 'repo', 'network', 'gpg', 'lock', 'dependency',
                         'subscription', 'ssh', 'privilege', 'interpreter', 'reboot', 'service', 'filesystem',
                         'other')),
    patterns         text[] NOT NULL DEFAULT '{}',
    modules          text[] NOT NULL DEFAULT '{}',
    solution         text NOT NULL,
    "references"     text[] NOT NULL DEFAULT '{}',
    samples_match    text[] NOT NULL DEFAULT '{}',
    samples_no_match text[] NOT NULL DEFAULT '{}',
    embedding        vector(2000),
    enabled          boolean NOT NULL DEFAULT true,
    version          integer NOT NULL DEFAULT 1,
    updated_by       text NOT NULL,
    updated_at       timestamptz NOT NULL DEFAULT now(),
    created_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX entries_embedding_idx ON kb.entries USING hnsw (embedding vector_cosine_ops);

-- Every version of every entry, who saved it and when (version 1 = creation).
CREATE TABLE kb.entry_history (
    id         bigserial PRIMARY KEY,
    entry_id   bigint NOT NULL REFERENCES kb.entries (id) ON DELETE CASCADE,
    slug       text NOT NULL,
    version    integer NOT NULL,
    data       jsonb NOT NULL,
    changed_by text NOT NULL,
    changed_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (entry_id, version)
);

-- One vector per sample of an entry, per embedder: the similarity fallback's neighbours
-- ('match' samples vote for their entry; a closer 'no_match' sample vetoes it).
CREATE TABLE kb.sample_vectors (
    id        bigserial PRIMARY KEY,
    entry_id  bigint NOT NULL REFERENCES kb.entries (id) ON DELETE CASCADE,
    embedder  text NOT NULL DEFAULT 'hashing',
    kind      text NOT NULL DEFAULT 'match' CHECK (kind IN ('match', 'no_match')),
    sample    text NOT NULL,
    embedding vector(2000) NOT NULL
);
CREATE INDEX sample_vectors_entry_idx ON kb.sample_vectors (entry_id);
CREATE INDEX sample_vectors_embedding_idx ON kb.sample_vectors USING hnsw (embedding vector_cosine_ops);

-- Failures no entry matched, grouped by normalised template, for curation. Members are per
-- (job, host, task), so re-analysing a job replaces its members instead of counting twice;
-- count and hosts of a group are aggregated from its members.
CREATE TABLE kb.unmatched_groups (
    id             bigserial PRIMARY KEY,
    template_hash  text NOT NULL UNIQUE,
    template       text NOT NULL,
    example        text NOT NULL,
    example_job_id bigint,
    first_seen     timestamptz NOT NULL DEFAULT now(),
    last_seen      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX unmatched_groups_last_seen_idx ON kb.unmatched_groups (last_seen DESC);

CREATE TABLE kb.unmatched_members (
    group_id bigint NOT NULL REFERENCES kb.unmatched_groups (id) ON DELETE CASCADE,
    job_id   bigint NOT NULL,
    host     text NOT NULL,
    task     text NOT NULL,
    seen_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (group_id, job_id, host, task)
);
CREATE INDEX unmatched_members_job_idx ON kb.unmatched_members (job_id);

-- The KB version: bumped by every change to kb.entries, so processes know when to recompile patterns.
CREATE TABLE kb.meta (
    id       boolean PRIMARY KEY DEFAULT true CHECK (id),
    instance uuid NOT NULL DEFAULT gen_random_uuid(),
    version  bigint NOT NULL DEFAULT 0
);
INSERT INTO kb.meta DEFAULT VALUES;

CREATE FUNCTION kb.bump_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE kb.meta SET version = version + 1;
    RETURN NULL;
END;
$$;
CREATE TRIGGER entries_bump_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON kb.entries
    FOR EACH STATEMENT EXECUTE FUNCTION kb.bump_version();

-- access control (migration 0003): users and API tokens; audit indexes for the audit API.
CREATE TABLE ops.users (
    id         bigserial PRIMARY KEY,
    name       text NOT NULL UNIQUE CHECK (name ~ '^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$'),
    roles      text[] NOT NULL DEFAULT '{}'
                   CHECK (roles <@ ARRAY['viewer', 'operator', 'approver', 'kb-editor', 'admin']::text[]),
    enabled    boolean NOT NULL DEFAULT true,
    created_at timestamptz NOT NULL DEFAULT now()
);

-- Only the SHA-256 of a token is stored (tokens are 32 random bytes: no slow hash needed);
-- prefix is the first characters, shown in listings so a token can be recognised and revoked.
CREATE TABLE ops.api_tokens (
    id           bigserial PRIMARY KEY,
    user_id      bigint NOT NULL REFERENCES ops.users (id) ON DELETE CASCADE,
    sha256       text NOT NULL UNIQUE CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    prefix       text NOT NULL,
    label        text,
    created_at   timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz,
    revoked_at   timestamptz,
    last_used_at timestamptz
);
CREATE INDEX api_tokens_user_idx ON ops.api_tokens (user_id);
CREATE INDEX api_tokens_prefix_idx ON ops.api_tokens (prefix);

-- The audit API filters by actor or action and pages by id.
CREATE INDEX audit_actor_idx ON ops.audit (actor, id);
CREATE INDEX audit_action_idx ON ops.audit (action, id);

-- 0004: the similarity index walks halfvec copies, m = 32, ef_construction = 128 (kb/THRESHOLD.md).
DROP INDEX kb.sample_vectors_embedding_idx;
CREATE INDEX sample_vectors_embedding_idx ON kb.sample_vectors
    USING hnsw ((embedding::halfvec(2000)) halfvec_cosine_ops) WITH (m = 32, ef_construction = 128);

-- inventory (migration 0005): the inventory snapshot read from its source (AWX or a file).
CREATE TABLE ops.inventory_syncs (
    id          bigserial PRIMARY KEY,
    source      text NOT NULL CHECK (source IN ('awx', 'file')),
    ref         text NOT NULL,
    status      text NOT NULL CHECK (status IN ('succeeded', 'failed')),
    at          timestamptz NOT NULL,
    variables   jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(variables) = 'object'),
    hosts       integer NOT NULL DEFAULT 0,
    groups      integer NOT NULL DEFAULT 0,
    changes     jsonb NOT NULL DEFAULT '{}',
    error       text,
    CHECK ((status = 'failed') = (error IS NOT NULL))
);
CREATE INDEX inventory_syncs_succeeded_idx ON ops.inventory_syncs (id DESC) WHERE status = 'succeeded';

CREATE TABLE ops.inventory_hosts (
    name       text PRIMARY KEY CHECK (name <> ''),
    position   integer NOT NULL,
    enabled    boolean NOT NULL DEFAULT true,
    variables  jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(variables) = 'object'),
    awx_id     bigint,
    source     text NOT NULL CHECK (source IN ('awx', 'file')),
    sync_id    bigint NOT NULL REFERENCES ops.inventory_syncs (id),
    synced_at  timestamptz NOT NULL
);

CREATE TABLE ops.inventory_groups (
    name       text PRIMARY KEY CHECK (name <> ''),
    position   integer NOT NULL,
    variables  jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(variables) = 'object'),
    awx_id     bigint,
    source     text NOT NULL CHECK (source IN ('awx', 'file')),
    sync_id    bigint NOT NULL REFERENCES ops.inventory_syncs (id),
    synced_at  timestamptz NOT NULL
);

-- Direct membership only; the closures (a group's hosts through its children) are computed by core.inventory.
CREATE TABLE ops.inventory_group_hosts (
    group_name text NOT NULL REFERENCES ops.inventory_groups (name) ON DELETE CASCADE,
    host_name  text NOT NULL REFERENCES ops.inventory_hosts (name) ON DELETE CASCADE,
    position   integer NOT NULL,
    PRIMARY KEY (group_name, host_name)
);
CREATE INDEX inventory_group_hosts_host_idx ON ops.inventory_group_hosts (host_name);

CREATE TABLE ops.inventory_group_children (
    parent   text NOT NULL REFERENCES ops.inventory_groups (name) ON DELETE CASCADE,
    child    text NOT NULL REFERENCES ops.inventory_groups (name) ON DELETE CASCADE,
    position integer NOT NULL,
    PRIMARY KEY (parent, child),
    CHECK (parent <> child)
);

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

-- 0006 (kbengine): "possibly related" entries and how a similar match was decided; effectiveness indexes.
ALTER TABLE ops.failures ADD COLUMN related jsonb NOT NULL DEFAULT '[]'::jsonb
    CHECK (jsonb_typeof(related) = 'array');
ALTER TABLE ops.failures ADD COLUMN match_via text CHECK (match_via IN ('signals', 'llm'));
CREATE INDEX failures_slug_job_idx ON ops.failures (kb_slug, job_id) WHERE kb_slug IS NOT NULL;
CREATE INDEX unmatched_members_seen_idx ON kb.unmatched_members (seen_at);

-- The stored vectors shrink to 384 dimensions (kb.analysis.embedder.DIM): the index only finds candidates and
-- the fallback scores them with its own 2000-d vectors, so p95 at 100,000 vectors drops under 5 ms
-- (kb/THRESHOLD.md). Old vectors are dropped; kb.engine.ensure_vectors embeds every entry again.
DELETE FROM kb.sample_vectors;
DROP INDEX kb.sample_vectors_embedding_idx;
ALTER TABLE kb.sample_vectors ALTER COLUMN embedding TYPE vector(384);
CREATE INDEX sample_vectors_embedding_idx ON kb.sample_vectors
    USING hnsw ((embedding::halfvec(384)) halfvec_cosine_ops) WITH (m = 48, ef_construction = 200);
DROP INDEX kb.entries_embedding_idx;
ALTER TABLE kb.entries ALTER COLUMN embedding TYPE vector(384) USING NULL;
CREATE INDEX entries_embedding_idx ON kb.entries USING hnsw (embedding vector_cosine_ops);

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

-- 0010 (kbspeed): the similarity index with m 32 / ef_construction 400 (searched with ef_search 150).
DROP INDEX kb.sample_vectors_embedding_idx;
CREATE INDEX sample_vectors_embedding_idx ON kb.sample_vectors
    USING hnsw ((embedding::halfvec(384)) halfvec_cosine_ops) WITH (m = 32, ef_construction = 400);

-- 0011 (kb wrapper): a wrapper entry (a generic step that failed) loses to a matching cause entry.
ALTER TABLE kb.entries ADD COLUMN wrapper boolean NOT NULL DEFAULT false;

-- 0012 (job analysis): where a job's failure analysis is (pending / done / failed; NULL: nothing to analyse).
ALTER TABLE ops.jobs ADD COLUMN analysis text CHECK (analysis IN ('pending', 'done', 'failed'));

-- 0013 (translated): an exact match read through the tools' translations says so in match_via.
ALTER TABLE ops.failures DROP CONSTRAINT failures_match_via_check;
ALTER TABLE ops.failures ADD CONSTRAINT failures_match_via_check
    CHECK (match_via IN ('signals', 'llm') OR match_via ~ '^translated \([a-zA-Z_, ]+\)$');

-- 0014 (kb ivfflat): the similarity index is IVFFlat, rebuilt with rows / 50 lists as the table doubles or
-- halves (kb.store.repository.rebuild_sample_index); kb.sample_index records what it was built for.
CREATE TABLE kb.sample_index (
    id            boolean PRIMARY KEY DEFAULT true CHECK (id),
    lists         integer NOT NULL CHECK (lists > 0),
    rows_at_build bigint NOT NULL CHECK (rows_at_build >= 0),
    built_at      timestamptz NOT NULL,
    build_ms      integer NOT NULL CHECK (build_ms >= 0)
);
DROP INDEX kb.sample_vectors_embedding_idx;
CREATE INDEX sample_vectors_embedding_idx ON kb.sample_vectors
    USING ivfflat ((embedding::halfvec(384)) halfvec_cosine_ops) WITH (lists = 1);
