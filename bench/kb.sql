-- Named queries of bench/kb.py (the production tables of a throwaway migrated database).

-- name: insert_entries
-- One entry per stored sample vector ("100,000 entries"); one statement, so the version trigger fires once.
INSERT INTO kb.entries (id, slug, title, category, solution, updated_by)
SELECT i, 'bench-' || i, 'bench entry ' || i, 'other', 'none', 'bench' FROM generate_series(1, %(n)s) AS i;

-- name: copy_vectors
COPY kb.sample_vectors (entry_id, sample, embedding) FROM STDIN WITH (FORMAT BINARY);

-- name: drop_index
-- Loading 100,000 rows into a live index assigns them one at a time; the build afterwards is faster.
DROP INDEX kb.sample_vectors_embedding_idx;

-- name: analyze
ANALYZE kb.entries, kb.sample_vectors;

-- name: build_settings
-- The k-means of the index build (kb.store.repository.rebuild_sample_index) over 100,000 x 384-d halfvec: one
-- parallel worker besides the leader (2 cores).
SET max_parallel_maintenance_workers = 1;

-- name: index_def
SELECT indexdef FROM pg_indexes WHERE schemaname = 'kb' AND indexname = 'sample_vectors_embedding_idx';

-- name: count_vectors
SELECT count(*) AS n FROM kb.sample_vectors;

-- name: exact_nearest
-- The baseline: nearest_samples of kb/store/queries.sql ordered by the exact distance, run with index scans off.
SELECT e.slug, v.kind, 1 - (v.embedding <=> %(vector)s) AS score
FROM kb.sample_vectors v JOIN kb.entries e ON e.id = v.entry_id
WHERE v.embedder = %(embedder)s AND e.enabled
ORDER BY v.embedding <=> %(vector)s
LIMIT %(k)s;

-- name: exact_scan
-- Inside a transaction: the planner may then neither scan the similarity index nor use a bitmap of it,
-- so ORDER BY ... LIMIT is a (parallel) sequential scan with a top-k sort (EXPLAIN shows it).
SET LOCAL enable_indexscan = off;
SET LOCAL enable_bitmapscan = off;

-- name: generic_plan
-- The plan psycopg's prepared statement settles on after five calls.
SET LOCAL plan_cache_mode = force_generic_plan;

-- name: sizes
SELECT pg_table_size('kb.sample_vectors') AS table_bytes,
       pg_relation_size('kb.sample_vectors_embedding_idx') AS index_bytes;

-- name: backend_pid
-- The server process of the bench's connection (its CPU time is read from /proc when the server is local).
SELECT pg_backend_pid() AS pid;
