-- patchpilot 0011: an entry may be a wrapper (a generic step that failed: an rpm scriptlet, a dpkg
-- maintainer script, a kernel hook, a depsolve summary), whose cause is often named elsewhere in the
-- same text; when a non-wrapper entry also matches, the non-wrapper wins (kb/analysis/matcher.py).
ALTER TABLE kb.entries ADD COLUMN IF NOT EXISTS wrapper boolean NOT NULL DEFAULT false;
