-- Upper bounds of each term's BM25 contribution, for pruning (retrieval's
-- bm25): the largest tf the term has in any of the site's chunks and the
-- shortest chunk holding it. A contribution grows with tf and shrinks with
-- the chunk's length, so no chunk scores more for the term than these two
-- give together. Inserts and analyses again raise them in the same statement
-- triggers as the document frequencies; deletes leave them (a bound above
-- the real maximum is still a bound: pruning is only a little less sharp).
--
-- Sites indexed before this migration get theirs from a batched backfill
-- (retrieval.Index.FillTermBounds, run in the background at start); until
-- it has read every chunk of a site, site_stats.bounded is false and
-- searches use the old bound, weight × idf × (k1+1). New sites have bounds
-- from their first chunk on. Adding nullable columns and a column with a
-- constant default rewrites nothing.
alter table term_stats add column max_tf integer, add column min_terms integer;
alter table site_stats add column bounded boolean not null default false;
alter table site_stats alter column bounded set default true;

-- tf's keys are the terms the score reads; they are the tsvector's lexemes
-- (a key that is not one gets a row with df 0, which searches skip).
create or replace function chunks_stats_insert() returns trigger language plpgsql as $$
begin
    insert into term_stats (site_id, term, df, max_tf, min_terms)
        select site_id, term, sum(df), max(tf), min(len) from (
            select n.site_id, u.lexeme as term, 1 as df, null::integer as tf, null::integer as len
                from new_rows n, unnest(n.tsv) u
            union all
            select n.site_id, e.key, 0, e.value::integer, n.terms from new_rows n, jsonb_each_text(n.tf) e) x
        group by 1, 2 order by 1, 2  -- one lock order: concurrent ingests cannot deadlock
    on conflict (site_id, term) do update set df = term_stats.df + excluded.df,
        max_tf = greatest(term_stats.max_tf, excluded.max_tf),
        min_terms = least(term_stats.min_terms, excluded.min_terms);
    insert into site_stats (site_id, chunks, terms)
        select site_id, count(*), sum(terms) from new_rows group by 1 order by 1
    on conflict (site_id) do update set chunks = site_stats.chunks + excluded.chunks,
        terms = site_stats.terms + excluded.terms;
    return null;
end $$;

create or replace function chunks_stats_update() returns trigger language plpgsql as $$
begin
    insert into term_stats (site_id, term, df, max_tf, min_terms)
        select site_id, term, sum(n), max(tf), min(len) from (
            select n.site_id, u.lexeme as term, 1 as n, null::integer as tf, null::integer as len
                from new_rows n, unnest(n.tsv) u
            union all
            select o.site_id, u.lexeme, -1, null, null from old_rows o, unnest(o.tsv) u
            union all
            select n.site_id, e.key, 0, e.value::integer, n.terms from new_rows n, jsonb_each_text(n.tf) e) d
        group by 1, 2 having sum(n) <> 0 or max(tf) is not null order by 1, 2
    on conflict (site_id, term) do update set df = term_stats.df + excluded.df,
        max_tf = greatest(term_stats.max_tf, excluded.max_tf),
        min_terms = least(term_stats.min_terms, excluded.min_terms);
    update site_stats s set terms = s.terms + d.t
        from (select site_id, sum(t) t from (
                select site_id, terms t from new_rows
                union all
                select site_id, -terms from old_rows) x
            group by 1) d
        where s.site_id = d.site_id and d.t <> 0;
    return null;
end $$;
