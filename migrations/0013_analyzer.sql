-- Which text analysis produced a chunk's terms (retrieval.AnalyzerVersion):
-- chunks of an older analysis are analysed again in place, and a statement
-- trigger keeps the BM25 statistics in step with such updates, as the insert
-- and delete triggers do.
alter table chunks add column analyzer smallint not null default 1;

create function chunks_stats_update() returns trigger language plpgsql as $$
begin
    insert into term_stats (site_id, term, df)
        select site_id, lexeme, sum(n) from (
            select n.site_id, u.lexeme, 1 as n from new_rows n, unnest(n.tsv) u
            union all
            select o.site_id, u.lexeme, -1 from old_rows o, unnest(o.tsv) u) d
        group by 1, 2 having sum(n) <> 0 order by 1, 2
    on conflict (site_id, term) do update set df = term_stats.df + excluded.df;
    update site_stats s set terms = s.terms + d.t
        from (select site_id, sum(t) t from (
                select site_id, terms t from new_rows
                union all
                select site_id, -terms from old_rows) x
            group by 1) d
        where s.site_id = d.site_id and d.t <> 0;
    return null;
end $$;

create trigger chunks_stats_update after update on chunks
    referencing old table as old_rows new table as new_rows for each statement execute function chunks_stats_update();
