-- patchpilot 0012: where a job's failure analysis is. collect sets 'pending' in the commit that gives the
-- job its final status; the analysis task sets 'done' in the commit that stores the failures (or 'failed'
-- when it gives up). A reader of a finished job can then tell "still analysing" from "no details".
ALTER TABLE ops.jobs ADD COLUMN IF NOT EXISTS analysis text
    CHECK (analysis IN ('pending', 'done', 'failed'));
UPDATE ops.jobs SET analysis = 'done' WHERE analysis IS NULL AND id IN (SELECT job_id FROM ops.job_stdout);
