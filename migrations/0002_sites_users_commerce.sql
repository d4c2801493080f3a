-- Sites: one shop front with its widget key, identity secret and settings.
create table sites (
    id              bigint generated always as identity primary key,
    key             text not null unique,
    name            text not null,
    secret          text not null,
    allowed_origins text[] not null default '{}',
    settings        jsonb not null default '{}',
    created_at      timestamptz not null default now(),
    updated_at      timestamptz not null default now()
);

-- Users: console accounts (admins and agents).
create table users (
    id            bigint generated always as identity primary key,
    email         text not null,
    name          text not null,
    role          text not null check (role in ('admin', 'agent')),
    password_hash text not null,
    disabled      boolean not null default false,
    created_at    timestamptz not null default now()
);
create unique index users_email_key on users (lower(email));

-- Commerce data imported from the shop: customers, orders, products.
create table customers (
    id          bigint generated always as identity primary key,
    site_id     bigint not null references sites (id) on delete cascade,
    external_id text not null,           -- the shop's own customer id (identity verification uses it)
    email       text not null default '',
    name        text not null default '',
    created_at  timestamptz not null default now(),
    updated_at  timestamptz not null default now(),
    unique (site_id, external_id)
);
create index customers_email_idx on customers (site_id, lower(email));

create table orders (
    id              bigint generated always as identity primary key,
    site_id         bigint not null references sites (id) on delete cascade,
    number          text not null,
    customer_id     bigint references customers (id) on delete set null,
    status          text not null check (status in ('processing', 'shipped', 'delivered', 'cancelled', 'refunded')),
    items           jsonb not null default '[]',
    total           numeric(12, 2) not null default 0,
    currency        text not null default 'USD',
    carrier         text not null default '',
    tracking_number text not null default '',
    created_at      timestamptz not null default now(),
    shipped_at      timestamptz,
    delivered_at    timestamptz,
    updated_at      timestamptz not null default now(),
    unique (site_id, number)
);
create index orders_customer_idx on orders (customer_id, created_at desc);

create table products (
    id          bigint generated always as identity primary key,
    site_id     bigint not null references sites (id) on delete cascade,
    sku         text not null,
    title       text not null,
    description text not null default '',
    price       numeric(12, 2) not null default 0,
    currency    text not null default 'USD',
    stock       integer not null default 0,
    url         text not null default '',
    image_url   text not null default '',
    attributes  jsonb not null default '{}',
    updated_at  timestamptz not null default now(),
    unique (site_id, sku)
);
