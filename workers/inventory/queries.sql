-- Inventory repository: the only place ops.inventory_* SQL runs.

-- name: lock_sync
-- Serialises syncs (beat, CLI, API) until the caller's transaction ends.
SELECT pg_advisory_xact_lock(%(key)s);

-- name: latest_snapshot
SELECT * FROM ops.inventory_syncs WHERE status = 'succeeded' ORDER BY id DESC LIMIT 1;

-- name: latest_attempt
SELECT * FROM ops.inventory_syncs ORDER BY id DESC LIMIT 1;

-- name: insert_sync
INSERT INTO ops.inventory_syncs (source, ref, status, at, variables, hosts, groups, changes, error)
VALUES (%(source)s, %(ref)s, %(status)s, %(at)s, %(variables)s, %(hosts)s, %(groups)s, %(changes)s, %(error)s)
RETURNING *;

-- name: delete_hosts
DELETE FROM ops.inventory_hosts;

-- name: delete_groups
DELETE FROM ops.inventory_groups;

-- name: insert_hosts
INSERT INTO ops.inventory_hosts (name, position, enabled, variables, awx_id, source, sync_id, synced_at)
SELECT h.name, h.position, h.enabled, h.variables, h.awx_id, %(source)s, %(sync_id)s, %(synced_at)s
FROM unnest(%(names)s::text[], %(positions)s::integer[], %(enabled)s::boolean[], %(variables)s::jsonb[],
            %(awx_ids)s::bigint[]) AS h (name, position, enabled, variables, awx_id);

-- name: insert_groups
INSERT INTO ops.inventory_groups (name, position, variables, awx_id, source, sync_id, synced_at)
SELECT g.name, g.position, g.variables, g.awx_id, %(source)s, %(sync_id)s, %(synced_at)s
FROM unnest(%(names)s::text[], %(positions)s::integer[], %(variables)s::jsonb[], %(awx_ids)s::bigint[])
    AS g (name, position, variables, awx_id);

-- name: insert_group_hosts
INSERT INTO ops.inventory_group_hosts (group_name, host_name, position)
SELECT * FROM unnest(%(groups)s::text[], %(hosts)s::text[], %(positions)s::integer[]);

-- name: insert_group_children
INSERT INTO ops.inventory_group_children (parent, child, position)
SELECT * FROM unnest(%(parents)s::text[], %(children)s::text[], %(positions)s::integer[]);

-- name: load_snapshot
-- One statement, so one consistent view under READ COMMITTED even while a sync commits: the latest
-- successful sync with its hosts (each with its direct groups) and groups (direct hosts and children).
SELECT s.*,
       coalesce((
           SELECT jsonb_agg(jsonb_build_object(
                      'name', h.name, 'enabled', h.enabled, 'variables', h.variables, 'awx_id', h.awx_id,
                      'groups', coalesce((SELECT jsonb_agg(gh.group_name ORDER BY g.position)
                                          FROM ops.inventory_group_hosts gh
                                          JOIN ops.inventory_groups g ON g.name = gh.group_name
                                          WHERE gh.host_name = h.name), '[]'))
                      ORDER BY h.position)
           FROM ops.inventory_hosts h), '[]') AS host_rows,
       coalesce((
           SELECT jsonb_agg(jsonb_build_object(
                      'name', g.name, 'variables', g.variables, 'awx_id', g.awx_id,
                      'hosts', coalesce((SELECT jsonb_agg(gh.host_name ORDER BY gh.position)
                                         FROM ops.inventory_group_hosts gh WHERE gh.group_name = g.name), '[]'),
                      'children', coalesce((SELECT jsonb_agg(c.child ORDER BY c.position)
                                            FROM ops.inventory_group_children c WHERE c.parent = g.name), '[]'))
                      ORDER BY g.position)
           FROM ops.inventory_groups g), '[]') AS group_rows
FROM ops.inventory_syncs s
WHERE s.status = 'succeeded'
ORDER BY s.id DESC
LIMIT 1;

-- name: db_now
SELECT now() AS now;
