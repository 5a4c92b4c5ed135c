-- Named queries of the kb package (run only by kb/repository.py).

-- name: kb_version
-- The database name and port are part of the key: a database cloned from a template keeps kb.meta's instance.
SELECT instance::text || '/' || current_database() || '/' || coalesce(inet_server_port(), 0)::text AS instance,
       version
FROM kb.meta;

-- name: enabled_patterns
SELECT slug, patterns, modules, wrapper, category, samples_match FROM kb.entries WHERE enabled ORDER BY id;

-- name: entry_by_slug
SELECT * FROM kb.entries WHERE slug = %(slug)s;

-- name: entries_by_slugs
SELECT slug, title, category, solution FROM kb.entries WHERE slug = ANY(%(slugs)s);

-- name: all_entries
SELECT * FROM kb.entries ORDER BY id;

-- name: search_entries
-- q: every word of it (case-insensitive) in the slug, title, solution, patterns or samples.
SELECT * FROM kb.entries
WHERE (%(q)s::text IS NULL OR NOT EXISTS (
        SELECT 1 FROM regexp_split_to_table(lower(btrim(%(q)s)), '\s+') AS w
        WHERE w <> '' AND strpos(lower(concat_ws(E'\n', slug, title, solution, array_to_string(patterns, E'\n'),
                                                  array_to_string(samples_match, E'\n'),
                                                  array_to_string(samples_no_match, E'\n'))), w) = 0))
  AND (%(category)s::text IS NULL OR category = %(category)s)
  AND (%(enabled)s::boolean IS NULL OR enabled = %(enabled)s)
  AND (%(wrapper)s::boolean IS NULL OR wrapper = %(wrapper)s)
ORDER BY slug
LIMIT %(limit)s OFFSET %(offset)s;

-- name: insert_entry
INSERT INTO kb.entries (slug, title, category, patterns, modules, solution, "references", samples_match,
                        samples_no_match, embedding, enabled, wrapper, updated_by)
VALUES (%(slug)s, %(title)s, %(category)s, %(patterns)s, %(modules)s, %(solution)s, %(references)s,
        %(samples_match)s, %(samples_no_match)s, %(embedding)s, %(enabled)s, %(wrapper)s, %(updated_by)s)
RETURNING *;

-- name: update_entry
UPDATE kb.entries SET title = %(title)s, category = %(category)s, patterns = %(patterns)s, modules = %(modules)s,
    solution = %(solution)s, "references" = %(references)s, samples_match = %(samples_match)s,
    samples_no_match = %(samples_no_match)s, embedding = %(embedding)s, enabled = %(enabled)s,
    wrapper = %(wrapper)s, updated_by = %(updated_by)s, updated_at = now(), version = version + 1
WHERE id = %(id)s
RETURNING *;

-- name: insert_history
INSERT INTO kb.entry_history (entry_id, slug, version, data, changed_by)
VALUES (%(entry_id)s, %(slug)s, %(version)s, %(data)s, %(changed_by)s);

-- name: entry_history
SELECT h.version, h.data, h.changed_by, h.changed_at
FROM kb.entry_history h JOIN kb.entries e ON e.id = h.entry_id
WHERE e.slug = %(slug)s ORDER BY h.version DESC;

-- name: delete_sample_vectors
DELETE FROM kb.sample_vectors WHERE entry_id = %(entry_id)s AND embedder = %(embedder)s;

-- name: insert_sample_vector
INSERT INTO kb.sample_vectors (entry_id, embedder, kind, sample, embedding)
VALUES (%(entry_id)s, %(embedder)s, %(kind)s, %(sample)s, %(embedding)s);

-- name: entries_without_vectors
SELECT e.id, e.samples_match, e.samples_no_match FROM kb.entries e
WHERE NOT EXISTS (SELECT 1 FROM kb.sample_vectors v WHERE v.entry_id = e.id AND v.embedder = %(embedder)s);

-- name: similarity_settings
-- The IVFFlat search of nearest_samples (kb/THRESHOLD.md, "IVFFlat (migration 0014)"), local to the transaction:
-- the 30 lists whose centroids are nearest the probe, of rows / 50 (kb.store.repository.rebuild_sample_index;
-- at 100,000 vectors 2,000 lists: recall@1 0.991-0.996 at ~2.1 ms of server CPU, where HNSW needed ~2.3 ms for
-- 0.986-0.993; a KB of up to 1,500 samples has at most 30 lists, all searched: an exact scan), and an iterative
-- scan so rows dropped by the embedder/enabled filter are replaced from further lists.
SELECT set_config('ivfflat.probes', '30', true), set_config('ivfflat.iterative_scan', 'relaxed_order', true);

-- name: nearest_samples
-- The index searches a halfvec(384) copy of the vectors (migrations 0006, 0014); the 40 candidates it returns
-- are re-ranked by the exact float32 cosine, which is also the score. The constant LIMIT keeps the
-- index scan in the generic plan psycopg prepares after five calls; MATERIALIZED keeps the
-- relaxed-order candidates apart from the exact ordering. The probe is sent in binary (the b placeholder): its
-- 384 floats as text cost the client ~0.2 ms to write and the server to parse, per search.
WITH candidates AS MATERIALIZED (
    SELECT e.slug, v.kind, v.embedding <=> %(vector)b AS distance
    FROM kb.sample_vectors v JOIN kb.entries e ON e.id = v.entry_id
    WHERE v.embedder = %(embedder)s AND e.enabled
    ORDER BY v.embedding::halfvec(384) <=> %(vector)b::halfvec(384)
    LIMIT 40
)
SELECT slug, kind, 1 - distance AS score FROM candidates ORDER BY distance LIMIT %(k)s;

-- name: delete_job_failures
DELETE FROM ops.failures WHERE job_id = %(job_id)s;

-- name: set_analysis
-- Where the job's failure analysis is (core.enums.AnalysisState); 'done' commits with the failure rows.
UPDATE ops.jobs SET analysis = %(state)s WHERE id = %(job_id)s;

-- name: insert_failure
INSERT INTO ops.failures (job_id, host, task, play, module, rc, message, match_text, item, unreachable,
                          kb_slug, match_kind, score, match_via, related)
VALUES (%(job_id)s, %(host)s, %(task)s, %(play)s, %(module)s, %(rc)s, %(message)s, %(match_text)s, %(item)s,
        %(unreachable)s, %(kb_slug)s, %(match_kind)s, %(score)s, %(match_via)s, %(related)s)
RETURNING id;

-- name: job_failures
SELECT f.id, f.host, f.task, f.play, f.module, f.rc, f.message, f.match_text, f.item, f.unreachable,
       f.kb_slug, f.match_kind, f.score, f.match_via, f.related, e.title, e.category, e.solution
FROM ops.failures f LEFT JOIN kb.entries e ON e.slug = f.kb_slug
WHERE f.job_id = %(job_id)s
ORDER BY f.id;

-- name: job_stdout
SELECT content FROM ops.job_stdout WHERE job_id = %(job_id)s;

-- name: job_exists
SELECT id FROM ops.jobs WHERE id = %(job_id)s;

-- name: recent_failures
SELECT id, job_id, host, task, match_text, kb_slug FROM ops.failures ORDER BY id DESC LIMIT %(limit)s;

-- name: delete_job_unmatched
DELETE FROM kb.unmatched_members WHERE job_id = %(job_id)s;

-- name: upsert_unmatched_group
INSERT INTO kb.unmatched_groups (template_hash, template, example, example_job_id)
VALUES (%(template_hash)s, %(template)s, %(example)s, %(job_id)s)
ON CONFLICT (template_hash) DO UPDATE SET last_seen = now()
RETURNING id;

-- name: insert_unmatched_member
INSERT INTO kb.unmatched_members (group_id, job_id, host, task)
VALUES (%(group_id)s, %(job_id)s, %(host)s, %(task)s)
ON CONFLICT DO NOTHING;

-- name: unmatched_groups
SELECT g.id, g.template, g.example, g.example_job_id, g.first_seen, g.last_seen,
       count(*) AS count,
       (array_agg(DISTINCT m.host ORDER BY m.host))[1:50] AS hosts,
       (array_agg(DISTINCT m.task ORDER BY m.task))[1:20] AS tasks
FROM kb.unmatched_groups g JOIN kb.unmatched_members m ON m.group_id = g.id
GROUP BY g.id
ORDER BY count(*) DESC, g.last_seen DESC
LIMIT %(limit)s OFFSET %(offset)s;

-- name: enabled_profiles
-- What the similarity fallback derives its entry profiles from (kb.fallback.profile_of).
SELECT slug, title, category, patterns, modules, samples_match, samples_no_match FROM kb.entries WHERE enabled ORDER BY id;

-- name: entry_stats
-- Effectiveness per entry: failures it answered, when last, on how many hosts, and the hosts where a
-- later job (a retry after the fix) ended ok/changed. Later = a higher job id: no clock is compared.
SELECT f.kb_slug AS slug, count(*) AS hits, max(f.created_at) AS last_seen, count(DISTINCT f.host) AS hosts,
       count(*) FILTER (WHERE f.match_kind = 'similar') AS similar_hits,
       coalesce((array_agg(DISTINCT f.host ORDER BY f.host) FILTER (WHERE EXISTS (
           SELECT 1 FROM ops.job_hosts h
           WHERE h.host = f.host AND h.job_id > f.job_id AND h.status IN ('ok', 'changed'))))[1:50], '{}')
           AS fixed_hosts
FROM ops.failures f
WHERE f.kb_slug = ANY(%(slugs)s)
GROUP BY f.kb_slug;

-- name: top_entry_stats
SELECT f.kb_slug AS slug, count(*) AS hits,
       count(DISTINCT f.host) FILTER (WHERE EXISTS (
           SELECT 1 FROM ops.job_hosts h
           WHERE h.host = f.host AND h.job_id > f.job_id AND h.status IN ('ok', 'changed'))) AS fixed_hosts
FROM ops.failures f
WHERE f.kb_slug IS NOT NULL
GROUP BY f.kb_slug
ORDER BY count(*) DESC, f.kb_slug
LIMIT %(limit)s;

-- name: unmatched_over_time
-- Unmatched failures per day and group (the curation queue over time), newest days first.
SELECT date_trunc('day', m.seen_at) AS day, count(*) AS failures, count(DISTINCT m.group_id) AS groups
FROM kb.unmatched_members m
GROUP BY 1
ORDER BY 1 DESC
LIMIT %(days)s;

-- name: sample_index
-- What the present similarity index was built for (migration 0014); no row: unknown, rebuild.
SELECT lists, rows_at_build, built_at, build_ms FROM kb.sample_index;

-- name: count_sample_vectors
SELECT count(*) AS n FROM kb.sample_vectors;

-- name: lock_sample_index
-- One rebuild at a time (two imports at once: the second waits, then finds the index current or rebuilds it).
SELECT pg_advisory_xact_lock(hashtext('kb.sample_index'));

-- name: drop_next_sample_index
DROP INDEX IF EXISTS kb.sample_vectors_embedding_next;

-- name: create_next_sample_index
-- The production index (migration 0014's, with {lists}), built beside the one searches use: writes to the table
-- wait for the build, searches do not. The build's k-means needs ~800 MB at 2,000 lists (repository.MAX_LISTS).
SET LOCAL maintenance_work_mem = '1GB';
CREATE INDEX sample_vectors_embedding_next ON kb.sample_vectors
    USING ivfflat ((embedding::halfvec(384)) halfvec_cosine_ops) WITH (lists = {lists});

-- name: swap_sample_index
DROP INDEX IF EXISTS kb.sample_vectors_embedding_idx;
ALTER INDEX kb.sample_vectors_embedding_next RENAME TO sample_vectors_embedding_idx;

-- name: record_sample_index
INSERT INTO kb.sample_index (id, lists, rows_at_build, built_at, build_ms)
VALUES (true, %(lists)s, %(rows)s, now(), %(build_ms)s)
ON CONFLICT (id) DO UPDATE SET lists = EXCLUDED.lists, rows_at_build = EXCLUDED.rows_at_build,
    built_at = EXCLUDED.built_at, build_ms = EXCLUDED.build_ms
RETURNING lists, rows_at_build, built_at, build_ms;
