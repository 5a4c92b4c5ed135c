-- patchpilot 0002: the knowledge base (entries with history and vectors, unmatched failure groups).
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
