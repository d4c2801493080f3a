-- Analytics (package chat): what happened to each conversation, and the
-- anonymous facts of conversations that retention or erasure deleted, so the
-- numbers of past periods do not change when data is deleted.

-- Events of the state machine that analytics measure. Written in the same
-- transaction as the state change (Store.Transition, Store.Append).
create table conversation_events (
    id              bigint generated always as identity primary key,
    conversation_id uuid not null references conversations (id) on delete cascade,
    site_id         bigint not null references sites (id) on delete cascade,
    kind            text not null check (kind in ('escalated', 'claimed', 'transferred', 'handed_back', 'resolved', 'reopened')),
    reason          text not null default '',   -- escalated: the chat/policy.go reason
    user_id         bigint references users (id) on delete set null, -- the agent who acted, if any
    at              timestamptz not null default now()
);
create index conversation_events_site_at_idx on conversation_events (site_id, at);
create index conversation_events_conversation_idx on conversation_events (conversation_id, at);

-- One row of facts per conversation that was deleted (or whose old messages
-- were deleted while it lived on). No text and no ids of people: the day the
-- conversation started, what happened, durations, counts and scores.
-- conversation_id is kept only while the conversation still exists (its
-- messages were trimmed by retention), so that it is not counted twice; it
-- is cleared when the conversation goes.
create table analytics_archive (
    id                     bigint generated always as identity primary key,
    site_id                bigint not null references sites (id) on delete cascade,
    conversation_id        uuid references conversations (id) on delete set null,
    day                    date not null,        -- UTC day the conversation was created
    escalated              boolean not null,
    escalation_reasons     text[] not null default '{}', -- one entry per escalation
    human_involved         boolean not null,
    reopened               integer not null default 0,
    ever_resolved          boolean not null,
    outcome                text not null default '' check (outcome in ('', 'bot_confirmed', 'bot_assumed', 'human')),
    csat_score             smallint,
    first_response_ms      double precision,
    human_first_response_ms double precision,
    queue_wait_ms          double precision,
    resolution_ms          double precision,
    intents                jsonb not null default '{}', -- intent -> shopper messages
    sentiment_sum          double precision not null default 0,
    sentiment_n            integer not null default 0,
    negative               boolean not null default false,
    model_replies          integer not null default 0,
    ttfts_ms               integer[] not null default '{}',
    tokens                 bigint not null default 0,
    archived_at            timestamptz not null default now()
);
create index analytics_archive_site_day_idx on analytics_archive (site_id, day);
create unique index analytics_archive_conversation_key on analytics_archive (conversation_id) where conversation_id is not null;

-- The summary scans conversations of a site by creation time.
create index conversations_site_created_idx on conversations (site_id, created_at);
