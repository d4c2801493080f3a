-- Knowledge documents (package knowledge) and the search index over their
-- chunks (package retrieval).
create table documents (
    id           bigint generated always as identity primary key,
    site_id      bigint not null references sites (id) on delete cascade,
    title        text not null,
    source       text not null,            -- the ingested file's base name
    content_type text not null,
    checksum     text not null,            -- sha256 of the raw bytes
    size_bytes   bigint not null default 0,
    status       text not null default 'queued' check (status in ('queued', 'processing', 'ready', 'failed')),
    error        text not null default '',
    progress     real not null default 0,
    chunks       integer not null default 0,
    created_at   timestamptz not null default now(),
    updated_at   timestamptz not null default now(),
    unique (site_id, source)
);
create index documents_checksum_idx on documents (site_id, checksum);

-- Raw uploads wait here until a worker ingests them (any node may).
create table document_files (
    document_id bigint primary key references documents (id) on delete cascade,
    data        bytea not null
);

create table chunks (
    id          bigint generated always as identity primary key,
    document_id bigint not null references documents (id) on delete cascade,
    site_id     bigint not null references sites (id) on delete cascade,
    ord         integer not null,
    heading     text not null default '',
    body        text not null,
    start_pos   integer not null default 0,   -- character offsets in the document's text
    end_pos     integer not null default 0,
    source      text not null default '',     -- file name, or file name#row for FAQ rows
    tsv         tsvector not null
);
create index chunks_document_idx on chunks (document_id, ord);
create index chunks_site_idx on chunks (site_id);
create index chunks_tsv_idx on chunks using gin (tsv);

-- Vectors carry their model's name; each model gets its own HNSW index
-- (created by retrieval when the model is first used), and a search never
-- mixes two models.
create table chunk_embeddings (
    chunk_id  bigint not null references chunks (id) on delete cascade,
    site_id   bigint not null,               -- copied from chunks so the vector index scan filters by site
    model     text not null,
    embedding vector not null,
    primary key (chunk_id, model)
);
