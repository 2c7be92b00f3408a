-- Runs: one row per run; a retry bumps the attempt of the same row.
create table runs (
    id                   uuid primary key,
    workspace            text        not null,
    run_key              text        not null,
    kind                 text,
    agent_id             text,
    attempt              integer     not null default 1 check (attempt >= 1),
    status               text        not null check (status in
                             ('PENDING', 'RUNNING', 'TERMINATING', 'SUCCEEDED', 'FAILED', 'ABORTED', 'TIMED_OUT')),
    reason               text,
    error                text,
    heartbeat_timeout_ms bigint      not null check (heartbeat_timeout_ms > 0),
    start_timeout_ms     bigint      not null check (start_timeout_ms > 0),
    stop_timeout_ms      bigint      not null check (stop_timeout_ms > 0),
    max_duration_ms      bigint      not null check (max_duration_ms > 0),
    cleanup_namespace    text,
    cleanup_labels       text,
    steps                bigint,
    progress_message     text,
    heartbeats           bigint      not null default 0,
    last_heartbeat_at    timestamptz,
    stop_attempts        integer     not null default 0,
    created_at           timestamptz not null,
    started_at           timestamptz,
    stop_requested_at    timestamptz,
    finished_at          timestamptz,
    updated_at           timestamptz not null
);

-- At most one active run per (workspace, key): the race-safe gate behind HTTP 409.
create unique index runs_one_active_per_key on runs (workspace, run_key)
    where status in ('PENDING', 'RUNNING', 'TERMINATING');
create index runs_by_workspace on runs (workspace, created_at desc, id desc);
create index runs_by_key on runs (workspace, run_key, created_at desc, id desc);
create index runs_active_by_status on runs (status) where status in ('PENDING', 'RUNNING', 'TERMINATING');

-- Transactional outbox: written with the state change, relayed to Kafka in order per key.
create table outbox (
    id              bigserial primary key,
    topic           text        not null,
    record_key      text        not null,
    event_type      text        not null,
    payload         text        not null,
    created_at      timestamptz not null default now(),
    attempts        integer     not null default 0,
    next_attempt_at timestamptz not null default now(),
    last_error      text,
    blocked         boolean     not null default false
);
create index outbox_by_key on outbox (record_key, id);

-- Every transition, forced or not: who or what, why, when.
create table run_audit (
    id          bigserial primary key,
    run_id      uuid        not null references runs (id),
    workspace   text        not null,
    attempt     integer     not null,
    action      text        not null,
    from_status text,
    to_status   text,
    reason      text,
    actor       text        not null,
    detail      text,
    at          timestamptz not null default now()
);
create index run_audit_by_run on run_audit (run_id, id);
