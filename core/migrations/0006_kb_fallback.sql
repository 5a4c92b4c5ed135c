-- patchpilot 0006 (kbengine): the similarity fallback keeps what it did not answer ("possibly related"
-- entries with their scores) and how it answered; KB effectiveness reads failures by entry.
ALTER TABLE ops.failures ADD COLUMN related jsonb NOT NULL DEFAULT '[]'::jsonb
    CHECK (jsonb_typeof(related) = 'array');
ALTER TABLE ops.failures ADD COLUMN match_via text CHECK (match_via IN ('signals', 'llm'));
CREATE INDEX failures_slug_job_idx ON ops.failures (kb_slug, job_id) WHERE kb_slug IS NOT NULL;
CREATE INDEX unmatched_members_seen_idx ON kb.unmatched_members (seen_at);

-- The stored vectors shrink to 384 dimensions (kb.analysis.embedder.DIM): the index only finds candidates and
-- the fallback scores them with its own 2000-d vectors. m 48 / ef_construction 200 keep recall@1 >= 0.99
-- (kb/THRESHOLD.md). Old vectors are dropped; kb.engine.ensure_vectors embeds every entry again.
DELETE FROM kb.sample_vectors;
DROP INDEX kb.sample_vectors_embedding_idx;
ALTER TABLE kb.sample_vectors ALTER COLUMN embedding TYPE vector(384);
CREATE INDEX sample_vectors_embedding_idx ON kb.sample_vectors
    USING hnsw ((embedding::halfvec(384)) halfvec_cosine_ops) WITH (m = 48, ef_construction = 200);
DROP INDEX kb.entries_embedding_idx;
ALTER TABLE kb.entries ALTER COLUMN embedding TYPE vector(384) USING NULL;
CREATE INDEX entries_embedding_idx ON kb.entries USING hnsw (embedding vector_cosine_ops);
