-- patchpilot 0005: the inventory snapshot (hosts, groups, membership, variables, enabled) read from its source.
-- One sync replaces the snapshot in one transaction; a failed sync is recorded and leaves the snapshot as it was.
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
