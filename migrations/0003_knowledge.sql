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
    tsv         tsvector not null,            -- search terms; heading terms weighted A
    terms       integer not null default 0,   -- number of terms (BM25's document length)
    tf          jsonb not null default '{}'   -- term → frequency (heading terms count twice), for BM25 scoring
);
create index chunks_document_idx on chunks (document_id, ord);
create index chunks_site_idx on chunks (site_id);
create index chunks_tsv_idx on chunks using gin (tsv) with (fastupdate = off); -- searches never scan a pending list

-- BM25 statistics per site: document frequency of each term, and the
-- number and total length of chunks. Statement-level triggers keep them in
-- step with every insert and delete of chunks (cascades included), in the
-- same transaction, so a search sees statistics matching the chunks it sees.
create table term_stats (
    site_id bigint not null references sites (id) on delete cascade,
    term    text not null,
    df      integer not null,
    primary key (site_id, term)
);

create table site_stats (
    site_id bigint primary key references sites (id) on delete cascade,
    chunks  bigint not null default 0,
    terms   bigint not null default 0
);

create function chunks_stats_insert() returns trigger language plpgsql as $$
begin
    insert into term_stats (site_id, term, df)
        select n.site_id, u.lexeme, count(*) from new_rows n, unnest(n.tsv) u
        group by 1, 2 order by 1, 2  -- one lock order: concurrent ingests cannot deadlock
    on conflict (site_id, term) do update set df = term_stats.df + excluded.df;
    insert into site_stats (site_id, chunks, terms)
        select site_id, count(*), sum(terms) from new_rows group by 1 order by 1
    on conflict (site_id) do update set chunks = site_stats.chunks + excluded.chunks,
        terms = site_stats.terms + excluded.terms;
    return null;
end $$;

create function chunks_stats_delete() returns trigger language plpgsql as $$
begin
    update term_stats t set df = t.df - d.n
        from (select o.site_id, u.lexeme, count(*) n from old_rows o, unnest(o.tsv) u group by 1, 2 order by 1, 2) d
        where t.site_id = d.site_id and t.term = d.lexeme;
    update site_stats s set chunks = s.chunks - d.n, terms = s.terms - d.t
        from (select site_id, count(*) n, sum(terms) t from old_rows group by 1) d
        where s.site_id = d.site_id;
    return null;
end $$;

create trigger chunks_stats_insert after insert on chunks
    referencing new table as new_rows for each statement execute function chunks_stats_insert();
create trigger chunks_stats_delete after delete on chunks
    referencing old table as old_rows for each statement execute function chunks_stats_delete();

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
