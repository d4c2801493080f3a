-- A node that takes a shopper's message owns the bot's turn for it: the
-- conversation's turn_lease says until when (set with the message, renewed
-- while the node works on it). A message left without a reply after its
-- lease ran out (its node died) is answered by another node, once:
-- recovered_seq is the last message a recovery was started for.
alter table conversations
    add column turn_lease timestamptz,
    add column recovered_seq integer not null default 0;
create index conversations_turn_lease_idx on conversations (turn_lease) where state = 'bot';
