-- Answer tests a shop keeps (package chat): questions with the facts a right
-- answer must contain, run after every knowledge change; each run keeps its
-- results so a regression (passed before, fails now) can be shown.
create table answer_tests (
    id         bigint generated always as identity primary key,
    site_id    bigint not null references sites (id) on delete cascade,
    question   text not null,
    context    text[] not null default '{}',     -- earlier shopper messages (a follow-up)
    customer   text not null default '',         -- ask as this verified customer (the shop's id)
    facts      jsonb not null,                   -- [["30 days", "30 天"], ["original packaging"]]
    created_at timestamptz not null default now()
);
create index answer_tests_site_idx on answer_tests (site_id, id);

create table answer_test_runs (
    id          bigint generated always as identity primary key,
    site_id     bigint not null references sites (id) on delete cascade,
    reason      text not null,                   -- manual, or what changed in the knowledge base
    started_at  timestamptz not null default now(),
    finished_at timestamptz,
    passed      integer not null default 0,
    failed      integer not null default 0
);
create index answer_test_runs_site_idx on answer_test_runs (site_id, id desc);

create table answer_test_results (
    run_id   bigint not null references answer_test_runs (id) on delete cascade,
    test_id  bigint not null references answer_tests (id) on delete cascade,
    passed   boolean not null,
    verdict  text not null,                      -- pass, wrong, declined
    reply    text not null,
    source   text not null default '',           -- the passage the answer came from
    missing  jsonb not null default '[]',
    primary key (run_id, test_id)
);

-- When each site's knowledge last changed and what changed (package
-- knowledge): answer tests run after a change.
create table knowledge_changes (
    site_id    bigint primary key references sites (id) on delete cascade,
    changed_at timestamptz not null default now(),
    what       text not null default ''
);
