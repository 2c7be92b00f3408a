-- When the current attempt began (created, or retried): a PENDING attempt is stuck once its start
-- timeout has passed since then.
alter table runs add column attempt_created_at timestamptz;
update runs r set attempt_created_at = coalesce(
    (select max(a.at) from run_audit a where a.run_id = r.id and a.action = 'retried' and a.attempt = r.attempt),
    r.created_at);
alter table runs alter column attempt_created_at set not null;

-- The console's summary counts active runs of one workspace by status and stuckness.
create index runs_active_by_workspace on runs (workspace, status) where status in ('PENDING', 'RUNNING', 'TERMINATING');

-- What the cleaner did to each run's Kubernetes resources (from vigil.cleanups), for the run's
-- timeline. One row per event: a redelivered or duplicated event is stored once.
create table run_cleanups (
    event_id     text        primary key,
    run_id       uuid        not null references runs (id),
    workspace    text        not null,
    attempt      integer     not null,
    namespace    text        not null,
    kind         text        not null,
    name         text        not null,
    outcome      text        not null,
    triggered_by text        not null,
    detail       text,
    occurred_at  timestamptz not null,
    received_at  timestamptz not null default now()
);
create index run_cleanups_by_run on run_cleanups (run_id, occurred_at);
