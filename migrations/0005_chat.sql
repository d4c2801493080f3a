-- Conversations (package chat): visitors, conversations, messages.
create table visitors (
    id           bigint generated always as identity primary key,
    site_id      bigint not null references sites (id) on delete cascade,
    token        text not null unique,          -- the widget's secret handle, kept in localStorage
    customer_id  bigint references customers (id) on delete set null,  -- set once identity is verified
    locale       text not null default '',
    created_at   timestamptz not null default now(),
    last_seen_at timestamptz not null default now()
);
create index visitors_site_idx on visitors (site_id);

create table conversations (
    id                 uuid primary key default gen_random_uuid(),
    site_id            bigint not null references sites (id) on delete cascade,
    visitor_id         bigint not null references visitors (id) on delete cascade,
    state              text not null default 'bot' check (state in ('bot', 'queued', 'agent', 'resolved')),
    assigned_user_id   bigint references users (id) on delete set null,
    priority           integer not null default 0,
    escalation_reason  text not null default '' check (escalation_reason in
                           ('', 'requested', 'negative_sentiment', 'no_answer', 'sensitive_intent', 'tool_failure', 'limit')),
    escalation_summary text not null default '',
    summary            text not null default '',   -- running summary of turns folded out of the prompt
    last_seq           integer not null default 0,
    negative_streak    integer not null default 0,
    no_answer_streak   integer not null default 0,
    waiting_notice     boolean not null default false, -- the shopper was told a person is coming
    contact_email      text not null default '',
    locale             text not null default '',
    csat_score         smallint check (csat_score between 1 and 5),
    csat_comment       text not null default '',
    created_at         timestamptz not null default now(),
    updated_at         timestamptz not null default now(),
    queued_at          timestamptz,
    resolved_at        timestamptz
);
create index conversations_visitor_idx on conversations (visitor_id, created_at desc);
create index conversations_site_state_idx on conversations (site_id, state, priority desc, queued_at);

create table messages (
    id              uuid primary key default gen_random_uuid(),
    conversation_id uuid not null references conversations (id) on delete cascade,
    seq             integer not null,
    role            text not null check (role in ('shopper', 'bot', 'agent', 'system', 'note')),
    body            text not null,
    client_id       text,
    user_id         bigint references users (id) on delete set null,
    intent          text not null default '',
    intent_confidence real not null default 0,
    sentiment       text not null default '',
    sentiment_score real not null default 0,
    citations       jsonb not null default '[]',
    products        jsonb not null default '[]',   -- product cards shown under a bot reply
    model           text not null default '',
    latency_ms      integer not null default 0,
    ttft_ms         integer not null default 0,
    tokens          integer not null default 0,
    created_at      timestamptz not null default now(),
    unique (conversation_id, seq)
);
create unique index messages_client_id_key on messages (conversation_id, client_id) where client_id is not null;
