-- A site's own search vocabulary (package knowledge): phrases its shoppers
-- write and the terms its documents use for them, added to the built-in
-- shop vocabulary (retrieval/vocab).
create table knowledge_synonyms (
    id         bigint generated always as identity primary key,
    site_id    bigint not null references sites (id) on delete cascade,
    phrases    text[] not null,
    terms      text[] not null,
    created_at timestamptz not null default now()
);
create index knowledge_synonyms_site_idx on knowledge_synonyms (site_id, id);
