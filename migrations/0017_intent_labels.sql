-- Intent labels are the user's and come back exactly as given: capitals,
-- dots and non-ASCII letters are allowed now ("app.LAUNCH", "退款"). Package
-- intents checks the exact form (letters and digits, then _ . : / -); the
-- table keeps the length bound and refuses whitespace.
alter table intent_examples drop constraint intent_examples_label_check;
alter table intent_examples add constraint intent_examples_label_check
    check (length(label) between 1 and 64 and label !~ '\s');
