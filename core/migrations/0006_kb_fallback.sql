-- patchpilot 0006 (kbengine): the similarity fallback keeps what it did not answer ("possibly related"
-- entries with their scores) and how it answered; KB effectiveness reads failures by entry.
ALTER TABLE ops.failures ADD COLUMN related jsonb NOT NULL DEFAULT '[]'::jsonb
    CHECK (jsonb_typeof(related) = 'array');
ALTER TABLE ops.failures ADD COLUMN match_via text CHECK (match_via IN ('signals', 'llm'));
CREATE INDEX failures_slug_job_idx ON ops.failures (kb_slug, job_id) WHERE kb_slug IS NOT NULL;
CREATE INDEX unmatched_members_seen_idx ON kb.unmatched_members (seen_at);
