-- The help-page sections a bot reply that was not sure offered the shopper
-- instead (package chat: [{"label", "source", "heading"}]); tapping one
-- answers the question from that section.
alter table messages add column topics jsonb not null default '[]';
