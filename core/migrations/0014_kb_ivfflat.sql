-- patchpilot 0014 (kb ivfflat): the similarity index becomes IVFFlat (kb/THRESHOLD.md, "IVFFlat"). At 100,000
-- vectors the HNSW graph of 0010 gave recall@1 0.986-0.993 at ~2.3 ms of server CPU per search (ef_search 150,
-- p95 4.6-5.1 ms); IVFFlat with 2,000 lists and 30 probes gives 0.991-0.996 at ~2.1 ms (p95 ~3.4 ms). Its lists are
-- k-means centroids of the rows present when it is built, so the number of lists follows the table: the index
-- is built here with one list (an exact scan through the index, right for an empty or small KB) and rebuilt
-- by kb.store.repository.rebuild_sample_index with rows / 50 lists whenever the table has doubled or halved
-- since (after an import, by the periodic kb-index task, or `patchpilot kb reindex`); kb.sample_index
-- records what the present index was built for.
CREATE TABLE kb.sample_index (
    id            boolean PRIMARY KEY DEFAULT true CHECK (id),
    lists         integer NOT NULL CHECK (lists > 0),
    rows_at_build bigint NOT NULL CHECK (rows_at_build >= 0),
    built_at      timestamptz NOT NULL,
    build_ms      integer NOT NULL CHECK (build_ms >= 0)
);
DROP INDEX kb.sample_vectors_embedding_idx;
CREATE INDEX sample_vectors_embedding_idx ON kb.sample_vectors
    USING ivfflat ((embedding::halfvec(384)) halfvec_cosine_ops) WITH (lists = 1);
INSERT INTO kb.sample_index (lists, rows_at_build, built_at, build_ms)
SELECT 1, count(*), now(), 0 FROM kb.sample_vectors;
