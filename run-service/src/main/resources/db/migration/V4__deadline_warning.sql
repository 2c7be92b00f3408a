-- Deadline warnings: the fraction of max_duration_ms at which the sweeper warns that the attempt's deadline
-- approaches (null: never), and when the current attempt was warned (null: not yet; a retry clears it).
alter table runs add column warn_at double precision check (warn_at > 0 and warn_at < 1);
alter table runs add column deadline_warned_at timestamptz;
