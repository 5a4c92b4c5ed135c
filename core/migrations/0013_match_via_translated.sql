-- patchpilot 0013: an exact match read through the tools' own translations (kb/analysis/translate.py) says
-- so in match_via: 'translated (de)', 'translated (fr, de)'.
ALTER TABLE ops.failures DROP CONSTRAINT IF EXISTS failures_match_via_check;
ALTER TABLE ops.failures ADD CONSTRAINT failures_match_via_check
    CHECK (match_via IN ('signals', 'llm') OR match_via ~ '^translated \([a-zA-Z_, ]+\)$');
