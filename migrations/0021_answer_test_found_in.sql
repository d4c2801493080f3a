-- Where a failed answer test's facts are in the site's knowledge (package
-- chat): the passages ("faq.md › Shipping") that state every fact, so an
-- admin sees whether to add the facts or to help the bot find them.
alter table answer_test_results add column found_in jsonb not null default '[]';
