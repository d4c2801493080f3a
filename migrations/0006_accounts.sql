-- Console accounts (package chat): sessions, API tokens, agents' sites,
-- canned responses and presence.

-- Sessions: one console login. The cookie carries a random token; only its
-- SHA-256 is stored, so a database leak gives no usable cookie.
create table sessions (
    id           bytea primary key,              -- sha256(cookie token)
    user_id      bigint not null references users (id) on delete cascade,
    csrf_token   text not null,                  -- sent back in X-CSRF-Token on state-changing requests
    created_at   timestamptz not null default now(),
    expires_at   timestamptz not null,           -- slides forward on use, never past created_at + the absolute lifetime
    last_seen_at timestamptz not null default now(),
    revoked      boolean not null default false,
    user_agent   text not null default '',
    ip           text not null default ''
);
create index sessions_user_idx on sessions (user_id) where not revoked;

-- API tokens for shop backends (Authorization: Bearer …), hashed at rest.
create table api_tokens (
    id           bigint generated always as identity primary key,
    hash         bytea not null unique,          -- sha256(token)
    prefix       text not null,                  -- the token's first characters, to recognise it in lists
    name         text not null,
    site_id      bigint references sites (id) on delete cascade, -- null: every site
    created_by   bigint references users (id) on delete set null,
    created_at   timestamptz not null default now(),
    last_used_at timestamptz,
    revoked_at   timestamptz
);

-- Which sites an agent works for (admins work for every site).
create table user_sites (
    user_id bigint not null references users (id) on delete cascade,
    site_id bigint not null references sites (id) on delete cascade,
    primary key (user_id, site_id)
);
create index user_sites_site_idx on user_sites (site_id);

-- Canned responses: admin-written replies that agents insert with /shortcut.
create table canned_responses (
    id         bigint generated always as identity primary key,
    site_id    bigint not null references sites (id) on delete cascade,
    shortcut   text not null check (shortcut ~ '^[a-z0-9][a-z0-9_-]{0,39}$'),
    body       text not null,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    unique (site_id, shortcut)
);

-- Presence: one row per open console socket, on any node. A node refreshes
-- its rows while the sockets live; rows of a node that died stop counting
-- once seen_at is older than the presence timeout.
create unlogged table agent_presence (
    conn_id text primary key,
    user_id bigint not null references users (id) on delete cascade,
    status  text not null check (status in ('online', 'away')),
    seen_at timestamptz not null default now()
);
create index agent_presence_user_idx on agent_presence (user_id);

-- The inbox's views: an agent's own conversations, and the resolved ones.
create index conversations_assigned_idx on conversations (assigned_user_id, updated_at desc) where assigned_user_id is not null;
create index conversations_site_updated_idx on conversations (site_id, updated_at desc);
