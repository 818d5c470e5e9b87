"""A search's term sets scored from postings instead of from each set's weights (issue 16).

A search scores every term set that holds one of its terms: the sum, over the
query's terms, of the set's weight for the term × the query's weight. It read
each such set's `weights` (a JSON object of a hundred terms or more, stored
compressed) and looked every query term up in it: a query of 40 terms and 90
matching sets made 3,600 look-ups. `search_termposting` holds one row per
(term, set) with the weight, so the score reads only the pairs the query has:
at 1,000 points the term sets of 300 cold queries were scored in a median of
0.34 ms (p90 0.50 ms) against 0.53–0.62 ms (p90 1.07–1.15 ms), same scores
(search/README.md, "Fourth pass").

Statement-level triggers on search_searchtermset keep it exact, whatever writes
the sets: rows inserted (bulk_create's ON CONFLICT DO NOTHING passes only the
rows it inserted), updated, deleted (drop_unused_term_sets) or truncated. No
foreign key: Django's flush truncates the sets without CASCADE, and a
reference from a table it does not know would refuse that.
"""
from django.db import migrations

ADD = """    INSERT INTO search_termposting (term, key, weight)
    SELECT w.term, s.key, w.weight::int FROM added s, jsonb_each_text(s.weights) w(term, weight)
    ON CONFLICT DO NOTHING;
"""
REMOVE = """    DELETE FROM search_termposting p USING removed s WHERE p.key = s.key;
"""

FORWARD = f"""
CREATE TABLE search_termposting (
    term text NOT NULL,
    key varchar(40) NOT NULL,
    weight integer NOT NULL,
    -- A search finds a term's (key, weight) pairs through this index.
    CONSTRAINT search_termposting_pkey PRIMARY KEY (term, key) INCLUDE (weight)
);
CREATE INDEX search_termposting_key ON search_termposting (key);

CREATE FUNCTION search_termposting_add() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
{ADD}    RETURN NULL;
END $$;

CREATE FUNCTION search_termposting_remove() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
{REMOVE}    RETURN NULL;
END $$;

CREATE FUNCTION search_termposting_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
{REMOVE}{ADD}    RETURN NULL;
END $$;

CREATE FUNCTION search_termposting_clear() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    TRUNCATE search_termposting;
    RETURN NULL;
END $$;

CREATE TRIGGER search_termposting_on_insert AFTER INSERT ON search_searchtermset
    REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION search_termposting_add();
CREATE TRIGGER search_termposting_on_delete AFTER DELETE ON search_searchtermset
    REFERENCING OLD TABLE AS removed FOR EACH STATEMENT EXECUTE FUNCTION search_termposting_remove();
CREATE TRIGGER search_termposting_on_update AFTER UPDATE ON search_searchtermset
    REFERENCING OLD TABLE AS removed NEW TABLE AS added FOR EACH STATEMENT
    EXECUTE FUNCTION search_termposting_change();
CREATE TRIGGER search_termposting_on_truncate AFTER TRUNCATE ON search_searchtermset
    FOR EACH STATEMENT EXECUTE FUNCTION search_termposting_clear();

INSERT INTO search_termposting (term, key, weight)
SELECT w.term, s.key, w.weight::int FROM search_searchtermset s, jsonb_each_text(s.weights) w(term, weight);
"""

BACKWARD = """
DROP TRIGGER search_termposting_on_insert ON search_searchtermset;
DROP TRIGGER search_termposting_on_delete ON search_searchtermset;
DROP TRIGGER search_termposting_on_update ON search_searchtermset;
DROP TRIGGER search_termposting_on_truncate ON search_searchtermset;
DROP FUNCTION search_termposting_add();
DROP FUNCTION search_termposting_remove();
DROP FUNCTION search_termposting_change();
DROP FUNCTION search_termposting_clear();
DROP TABLE search_termposting;
"""


class Migration(migrations.Migration):
    dependencies = [("search", "0005_network_entries")]
    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
