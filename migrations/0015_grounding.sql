-- What the grounding check found on a bot reply drafted by a model
-- (package chat): verified, corrected (the second draft passed) or fallback
-- (the offline answer was sent); '' for replies without a model.
alter table messages add column grounding text not null default '';
