-- patchpilot 0004: the similarity index walks halfvec(2000) copies of the sample vectors (half the
-- graph's size) and is built with m = 32, ef_construction = 128: with kb.repository.nearest_samples
-- (ef_search 400, exact re-rank of 40 candidates) recall@1 reaches 0.99 at 100,000 vectors, where
-- the default m = 16, ef_construction = 64 gave 0.96 (kb/THRESHOLD.md, "HNSW at 100,000 vectors").
DROP INDEX kb.sample_vectors_embedding_idx;
CREATE INDEX sample_vectors_embedding_idx ON kb.sample_vectors
    USING hnsw ((embedding::halfvec(2000)) halfvec_cosine_ops) WITH (m = 32, ef_construction = 128);
