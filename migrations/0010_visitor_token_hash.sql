-- Visitor tokens are bearer secrets (whoever holds one opens that visitor's
-- conversation), so the database keeps only their SHA-256, in hex: a leaked
-- backup or a read-only SQL account opens no conversation. The column keeps
-- its name; chat.Store hashes a presented token before looking it up.
update visitors set token = encode(sha256(convert_to(token, 'UTF8')), 'hex');
comment on column visitors.token is 'hex SHA-256 of the widget''s visitor token (never the token itself)';
