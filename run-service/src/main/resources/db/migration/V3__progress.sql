-- Progress timeouts: how long a RUNNING run's progress (steps, message) may stay the same while it
-- heartbeats (null: not watched), what a stall does ('fail' or 'flag'), when a flagged run stalled
-- (null: not stalled, or its progress moved again since), and the heartbeat time of the report that
-- last changed its progress (a late stall is told from a live one by it).
alter table runs add column progress_timeout_ms bigint;
alter table runs add column on_stall text;
alter table runs add column stalled_at timestamptz;
alter table runs add column progress_changed_at timestamptz;
