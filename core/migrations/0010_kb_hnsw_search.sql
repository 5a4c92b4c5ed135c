-- patchpilot 0010 (kbspeed): the similarity index is rebuilt with m = 32, ef_construction = 400 (0006: m 48,
-- ef_construction 200). A graph built with the wider candidate list reaches the same recall@1 (>= 0.99 at
-- 100,000 vectors) with ef_search 150 instead of 300, and each step of the search reads 64 neighbours instead
-- of 96: kb.store.repository.nearest_samples takes ~2.2 ms of server CPU per search instead of ~6.5 ms, and
-- the index is 130 MB instead of 156 MB (kb/THRESHOLD.md, "HNSW search cost"). Only the index changes.
DROP INDEX kb.sample_vectors_embedding_idx;
CREATE INDEX sample_vectors_embedding_idx ON kb.sample_vectors
    USING hnsw ((embedding::halfvec(384)) halfvec_cosine_ops) WITH (m = 32, ef_construction = 400);
