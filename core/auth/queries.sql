-- Access-control repository: the only place ops.users / ops.api_tokens SQL runs.

-- name: insert_user
INSERT INTO ops.users (name, roles, enabled)
VALUES (%(name)s, %(roles)s, true)
ON CONFLICT (name) DO NOTHING
RETURNING *;

-- name: get_user
SELECT * FROM ops.users WHERE name = %(name)s;

-- name: list_users
SELECT * FROM ops.users ORDER BY name;

-- name: update_user
UPDATE ops.users
SET roles = COALESCE(%(roles)s, roles), enabled = COALESCE(%(enabled)s, enabled)
WHERE name = %(name)s
RETURNING *;

-- name: insert_token
INSERT INTO ops.api_tokens (user_id, sha256, prefix, label, expires_at)
VALUES (%(user_id)s, %(sha256)s, %(prefix)s, %(label)s, %(expires_at)s)
RETURNING *, (SELECT name FROM ops.users WHERE id = %(user_id)s) AS user;

-- name: token_by_hash
SELECT t.id, t.prefix, t.revoked_at, t.expires_at IS NOT NULL AND t.expires_at <= now() AS expired,
       t.last_used_at IS NULL OR t.last_used_at < now() - interval '1 minute' AS use_stale,
       t.label, t.expires_at IS NOT NULL AND t.expires_at <= now() + interval '1 day' AS expires_soon,
       u.name AS user, u.roles, u.enabled
FROM ops.api_tokens t JOIN ops.users u ON u.id = t.user_id
WHERE t.sha256 = %(sha256)s;

-- name: touch_token
-- At most one write per token per minute: last_used_at is for humans, not for accounting.
UPDATE ops.api_tokens SET last_used_at = now()
WHERE id = %(id)s AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute');

-- name: list_tokens
SELECT t.id, u.name AS user, t.prefix, t.label, t.created_at, t.expires_at, t.revoked_at, t.last_used_at
FROM ops.api_tokens t JOIN ops.users u ON u.id = t.user_id
WHERE %(user)s::text IS NULL OR u.name = %(user)s
ORDER BY u.name, t.id;

-- name: find_tokens
-- A token named by its id or by (the start of) its display prefix.
SELECT t.id, u.name AS user, t.prefix, t.label, t.created_at, t.expires_at, t.revoked_at, t.last_used_at
FROM ops.api_tokens t JOIN ops.users u ON u.id = t.user_id
WHERE t.id = %(id)s OR (length(%(ref)s) >= 6 AND t.prefix LIKE replace(replace(%(ref)s, '%%', ''), '_', '\_') || '%%')
ORDER BY t.id;

-- name: revoke_token
UPDATE ops.api_tokens t SET revoked_at = now()
FROM ops.users u
WHERE t.id = %(id)s AND u.id = t.user_id AND t.revoked_at IS NULL
RETURNING t.id, u.name AS user, t.prefix, t.label, t.created_at, t.expires_at, t.revoked_at, t.last_used_at;

-- name: revoke_labelled
UPDATE ops.api_tokens SET revoked_at = now()
WHERE user_id = %(user_id)s AND label = %(label)s AND revoked_at IS NULL;

-- name: now
SELECT now() AS now;
