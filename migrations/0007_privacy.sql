-- Privacy (package chat): the audit log, and indexes the retention job and
-- data-subject requests (export, erasure) scan by.

-- Audit log: who did what to which target, and when. Rows outlive the users
-- and sites they name (actor keeps the email), until the audit retention.
create table audit_log (
    id         bigint generated always as identity primary key,
    site_id    bigint references sites (id) on delete set null,
    user_id    bigint references users (id) on delete set null,
    actor      text not null,                 -- user email, 'system' or 'api token <name>'
    action     text not null,                 -- e.g. auth.login, conversation.claim, privacy.erase
    target     text not null default '',      -- what it was done to: an id, a key, a subject
    detail     jsonb not null default '{}',
    created_at timestamptz not null default now()
);
create index audit_log_created_idx on audit_log (created_at desc, id desc);
create index audit_log_site_idx on audit_log (site_id, created_at desc);

-- Retention deletes by age.
create index messages_created_idx on messages (created_at);
create index visitors_last_seen_idx on visitors (site_id, last_seen_at);
create index documents_updated_idx on documents (site_id, updated_at);

-- Erasure finds a subject's visitors by customer.
create index visitors_customer_idx on visitors (customer_id) where customer_id is not null;
