-- patchpilot 0003: users and API tokens (access control); audit indexes for the audit API.
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
