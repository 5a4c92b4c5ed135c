-- Reading the audit trail (ops.audit is written only through core.audit.record).

-- name: search
-- Newest first; before_id is the keyset cursor (the id of the last row of the previous page).
SELECT id, at, actor, action, object_type, object_id, source, detail
FROM ops.audit
WHERE (%(actor)s::text IS NULL OR actor = %(actor)s)
  AND (%(action)s::text IS NULL OR action = %(action)s)
  AND (%(action_prefix)s::text IS NULL OR action LIKE %(action_prefix)s)
  AND (%(object_type)s::text IS NULL OR object_type = %(object_type)s)
  AND (%(object_id)s::text IS NULL OR object_id = %(object_id)s)
  AND (%(since)s::timestamptz IS NULL OR at >= %(since)s)
  AND (%(until)s::timestamptz IS NULL OR at < %(until)s)
  AND (%(before_id)s::bigint IS NULL OR id < %(before_id)s)
ORDER BY id DESC
LIMIT %(limit)s;

-- name: export
-- Oldest first, in batches: after_id is the id of the last row already sent.
SELECT id, at, actor, action, object_type, object_id, source, detail
FROM ops.audit
WHERE (%(actor)s::text IS NULL OR actor = %(actor)s)
  AND (%(action)s::text IS NULL OR action = %(action)s)
  AND (%(action_prefix)s::text IS NULL OR action LIKE %(action_prefix)s)
  AND (%(object_type)s::text IS NULL OR object_type = %(object_type)s)
  AND (%(object_id)s::text IS NULL OR object_id = %(object_id)s)
  AND (%(since)s::timestamptz IS NULL OR at >= %(since)s)
  AND (%(until)s::timestamptz IS NULL OR at < %(until)s)
  AND id > %(after_id)s
ORDER BY id
LIMIT %(limit)s;
