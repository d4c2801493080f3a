-- Custom intents (package intents): a site's own intent examples. Retraining
-- a site's classifier trains on the built-in examples plus these; a label
-- may be a built-in intent (more examples for it) or a new one.
create table intent_examples (
    id         bigint generated always as identity primary key,
    site_id    bigint not null references sites (id) on delete cascade,
    label      text not null check (label ~ '^[a-z][a-z0-9_]{0,63}$'),
    text       text not null check (length(text) between 1 and 1000),
    created_at timestamptz not null default now(),
    unique (site_id, label, text)
);
