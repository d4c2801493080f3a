-- Insights (package chat): what the bot knew when it replied, so knowledge
-- gaps can be found later. Both are null on shopper, agent and system
-- messages, and on bot replies written before this migration.
alter table messages add column answered boolean;             -- false: the bot abstained ("I don't know, shall I get a person?")
alter table messages add column retrieval_confidence real;    -- the knowledge search's confidence behind the reply; null: no search ran

