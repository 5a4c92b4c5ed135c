-- Named queries of kb/bench.py (a scratch table in a throwaway database).

-- name: create_table
CREATE TABLE bench_vectors (id bigint PRIMARY KEY, embedding vector(2000) NOT NULL);

-- name: copy_vectors
COPY bench_vectors (id, embedding) FROM STDIN WITH (FORMAT BINARY);

-- name: analyze
ANALYZE bench_vectors;

-- name: build_settings
-- The graph of 100,000 x 2000-d vectors (~0.9 GB) must fit in maintenance_work_mem, or the
-- build spills to disk and slows down many times; one parallel worker besides the leader (2 cores).
SET maintenance_work_mem = '2GB';
SET max_parallel_maintenance_workers = 1;

-- name: create_index
CREATE INDEX bench_vectors_hnsw ON bench_vectors USING hnsw (embedding vector_cosine_ops)
    WITH (m = 16, ef_construction = 64);

-- name: nearest
SELECT id, embedding <=> %(vector)s AS distance FROM bench_vectors ORDER BY embedding <=> %(vector)s LIMIT 1;

-- name: explain_nearest
EXPLAIN (COSTS OFF) SELECT id FROM bench_vectors ORDER BY embedding <=> %(vector)s LIMIT 1;

-- name: ef_search
SELECT set_config('hnsw.ef_search', %(ef)s, true);

-- name: exact_scan
-- Inside a transaction: the planner may then neither walk the HNSW index nor use a bitmap of it,
-- so ORDER BY ... LIMIT 1 is a (parallel) sequential scan with a top-1 sort (EXPLAIN shows it).
SET LOCAL enable_indexscan = off;
SET LOCAL enable_bitmapscan = off;

-- name: sizes
SELECT pg_table_size('bench_vectors') AS table_bytes, pg_relation_size('bench_vectors_hnsw') AS index_bytes;
