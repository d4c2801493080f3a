-- Knowledge sources (package sources): pages, sitemaps, crawls and product
-- feeds that kefu syncs on a schedule. Their pages are ordinary documents
-- (package knowledge owns those); these tables remember what each source
-- brought in, how to ask for it again cheaply, and each run's log.
create table sources (
    id            bigint generated always as identity primary key,
    site_id       bigint not null references sites (id) on delete cascade,
    kind          text not null check (kind in ('page', 'sitemap', 'crawl', 'feed')),
    url           text not null,
    every_seconds integer not null default 86400 check (every_seconds >= 0), -- 0: manual only
    allow_private boolean not null default false, -- an admin allowed private/loopback addresses (audited)
    paused        boolean not null default false,
    max_pages     integer not null default 1000,
    max_depth     integer not null default 5,   -- crawls only
    next_run_at   timestamptz,                  -- null: not scheduled (manual)
    requested_at  timestamptz,                  -- "sync now": any node's scheduler runs it soon, paused or not
    lease_owner   text not null default '',     -- the node syncing it now, until lease_until
    lease_until   timestamptz,
    feed_etag     text not null default '',    -- a feed's validators: a feed answering 304 changes nothing
    feed_modified text not null default '',
    created_at    timestamptz not null default now(),
    updated_at    timestamptz not null default now(),
    unique (site_id, kind, url)
);
create index sources_due_idx on sources (next_run_at) where not paused;
create index sources_requested_idx on sources (requested_at) where requested_at is not null;

-- One row per page a source has seen: how to ask for it again (ETag,
-- Last-Modified), what it held (checksum of the extracted text; pages with
-- the same content share one document), its links
-- (a crawl follows them even when the page answers 304), and how many runs
-- in a row missed it (removed at two).
create table source_pages (
    source_id     bigint not null references sources (id) on delete cascade,
    url           text not null,               -- the URL as listed (sitemap, crawl link, the source's own)
    canonical     text not null default '',    -- where it settled (redirects, rel=canonical): the document's source
    document_id   bigint references documents (id) on delete set null,
    etag          text not null default '',
    last_modified text not null default '',
    checksum      text not null default '',
    links         text[] not null default '{}',
    misses        integer not null default 0,
    seen_at       timestamptz not null default now(),
    primary key (source_id, url)
);
create index source_pages_document_idx on source_pages (document_id);

-- Products a feed source brought in, with a checksum of what it wrote, and
-- how many syncs in a row the feed did not list them (removed at two).
create table source_products (
    source_id bigint not null references sources (id) on delete cascade,
    sku       text not null,
    checksum  text not null default '',
    misses    integer not null default 0,
    primary key (source_id, sku)
);

-- The sync log: one row per run, updated with its progress while it runs.
create table sync_runs (
    id          bigint generated always as identity primary key,
    source_id   bigint not null references sources (id) on delete cascade,
    node        text not null,
    status      text not null default 'running' check (status in ('running', 'ok', 'failed', 'abandoned')),
    started_at  timestamptz not null default now(),
    finished_at timestamptz,
    added       integer not null default 0,
    changed     integer not null default 0,
    removed     integer not null default 0,
    unchanged   integer not null default 0,
    failed      integer not null default 0,
    requests    integer not null default 0,
    done        integer not null default 0,   -- progress: pages handled
    total       integer not null default 0,   -- progress: pages known so far
    error       text not null default '',     -- why the run ended early
    failures    jsonb not null default '[]'   -- [{"url","reason"}], at most 100
);
create index sync_runs_source_idx on sync_runs (source_id, id desc);
