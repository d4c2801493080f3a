-- Webhooks (package internal/webhook): a site's subscriptions, the outbox of
-- events (written in the transaction of the change that caused them) and
-- their deliveries, each attempt logged.
create table webhook_subscriptions (
    id              bigint generated always as identity primary key,
    site_id         bigint not null references sites (id) on delete cascade,
    url             text not null,
    secret          text not null,                 -- HMAC-SHA256 key of Kefu-Signature
    events          text[] not null,               -- conversation.created, message.created …
    include_notes   boolean not null default false, -- message.created of internal notes too
    allow_private   boolean not null default false, -- may deliver to private or loopback addresses
    description     text not null default '',
    enabled         boolean not null default true,
    disabled_reason text not null default '',
    disabled_at     timestamptz,
    failures        integer not null default 0,     -- consecutive failed attempts
    failing_since   timestamptz,                    -- the first of them
    created_at      timestamptz not null default now(),
    updated_at      timestamptz not null default now()
);
create index webhook_subscriptions_site_idx on webhook_subscriptions (site_id);

-- One row per event that at least one subscription wanted. An event about a
-- conversation goes with it (erasure, retention): what was not sent yet is
-- never sent.
create table webhook_events (
    id              uuid primary key default gen_random_uuid(),
    site_id         bigint not null references sites (id) on delete cascade,
    type            text not null,
    conversation_id uuid references conversations (id) on delete cascade,
    data            jsonb not null,
    created_at      timestamptz not null
);
create index webhook_events_conversation_idx on webhook_events (conversation_id) where conversation_id is not null;

create table webhook_deliveries (
    id              bigint generated always as identity primary key,
    event_id        uuid not null references webhook_events (id) on delete cascade,
    subscription_id bigint not null references webhook_subscriptions (id) on delete cascade,
    order_key       text not null default '',       -- a conversation's deliveries go one at a time, in id order
    state           text not null default 'pending', -- pending, delivered, failed (given up)
    attempts        integer not null default 0,
    next_attempt_at timestamptz not null,
    deadline        timestamptz not null,           -- retried until then (24 h after the event)
    lease_until     timestamptz,                    -- a node is delivering the current attempt until then
    lease_token     uuid,
    last_status     integer,
    last_error      text not null default '',
    created_at      timestamptz not null,
    delivered_at    timestamptz
);
create index webhook_deliveries_due_idx on webhook_deliveries (next_attempt_at, id) where state = 'pending';
create index webhook_deliveries_order_idx on webhook_deliveries (subscription_id, order_key, id) where state = 'pending';
create index webhook_deliveries_log_idx on webhook_deliveries (subscription_id, id desc);

create table webhook_attempts (
    delivery_id bigint not null references webhook_deliveries (id) on delete cascade,
    attempt     integer not null,
    at          timestamptz not null,
    status      integer,                            -- the HTTP status; null: no response
    latency_ms  integer not null,
    error       text not null default '',
    response    text not null default '',           -- the start of the response body
    primary key (delivery_id, attempt)
);

-- Notifications for console users (package internal/notify): preferences,
-- and what was sent (so several nodes send each notice once).
create table notification_prefs (
    user_id           bigint primary key references users (id) on delete cascade,
    email_waiting     boolean not null default true,  -- a conversation waits with nobody online
    wait_minutes      integer not null default 10,
    email_digest      boolean not null default true,  -- the daily digest (admins)
    email_alerts      boolean not null default true,  -- a webhook was disabled (admins)
    browser           boolean not null default true,  -- desktop notifications from the console
    locale            text not null default 'en',     -- en or zh: the emails' language
    unsubscribe_token text not null unique,
    updated_at        timestamptz not null default now()
);

create table notifications_sent (
    user_id bigint not null references users (id) on delete cascade,
    kind    text not null,                          -- waiting, digest, alert
    ref     text not null,                          -- what it was about (a conversation's wait, a day)
    sent_at timestamptz not null default now(),
    primary key (user_id, kind, ref)
);
create index notifications_sent_at_idx on notifications_sent (sent_at);
