-- Webhooks (Standard Webhooks): a workspace's subscriptions, and one delivery row per event and subscription,
-- written in the transaction of the change it tells (the outbox discipline: a committed change is never lost
-- to a crash, a rolled-back one is never told).
create table webhook_subscriptions (
    id                    uuid        primary key,
    workspace             text        not null,
    url                   text        not null,
    -- comma-separated event types, or '*' for all
    event_types           text        not null,
    key_filter            text,
    enabled               boolean     not null,
    secret                text        not null,
    -- after a rotation the previous secret signs too, until previous_secret_until
    previous_secret       text,
    previous_secret_until timestamptz,
    -- set when a delivery was given up on; cleared by the next success or a replay
    failing_since         timestamptz,
    created_at            timestamptz not null,
    updated_at            timestamptz not null
);
create index webhook_subscriptions_by_workspace on webhook_subscriptions (workspace) where enabled;

create table webhook_deliveries (
    id              bigserial   primary key,
    -- the webhook-id header: the same for every attempt, and for every subscription told of the same change
    message_id      text        not null,
    subscription_id uuid        not null references webhook_subscriptions (id) on delete cascade,
    workspace       text        not null,
    run_id          uuid        not null,
    event_type      text        not null,
    payload         text        not null,
    status          text        not null check (status in ('PENDING', 'DELIVERED', 'FAILED')),
    attempts        integer     not null default 0,
    next_attempt_at timestamptz not null,
    -- retried until then, then FAILED (a replay starts a new window)
    retry_until     timestamptz not null,
    -- a dispatcher holds a claimed delivery until then; one that died holding it loses it then
    locked_until    timestamptz,
    last_status     integer,
    last_error      text,
    last_latency_ms integer,
    created_at      timestamptz not null,
    delivered_at    timestamptz,
    unique (subscription_id, message_id)
);
create index webhook_deliveries_due on webhook_deliveries (next_attempt_at, id) where status = 'PENDING';
create index webhook_deliveries_per_run on webhook_deliveries (subscription_id, run_id, id) where status = 'PENDING';
create index webhook_deliveries_log on webhook_deliveries (subscription_id, id);

-- Every attempt of every delivery: when, the answer (or the error), how long it took.
create table webhook_attempts (
    id          bigserial   primary key,
    delivery_id bigint      not null references webhook_deliveries (id) on delete cascade,
    attempt     integer     not null,
    at          timestamptz not null,
    status_code integer,
    error       text,
    latency_ms  integer     not null
);
create index webhook_attempts_by_delivery on webhook_attempts (delivery_id, attempt);
