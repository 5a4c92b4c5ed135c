-- Named queries of kb/bench.py (a scratch table in a throwaway database).

-- name: create_table
CREATE TABLE bench_vectors (id bigint PRIMARY KEY, embedding vector(2000) NOT NULL);

-- name: insert_vector
INSERT INTO bench_vectors (id, embedding) VALUES (%(id)s, %(embedding)s);

-- name: create_index
CREATE INDEX bench_vectors_hnsw ON bench_vectors USING hnsw (embedding vector_cosine_ops);

-- name: nearest
SELECT id FROM bench_vectors ORDER BY embedding <=> %(vector)s LIMIT 1;

-- name: exact_scan
SET LOCAL enable_indexscan = off;
