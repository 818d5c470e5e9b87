"""Network search on PostgreSQL without reading one row per point (issue 16).

A network search wants, per item of the county, the best-scoring documents and
their facet values; at 1,000 points the same item has 1,000 documents that
almost always share their term set and facets, so the search read and counted
~1,000 rows per matching item (4 s at p95). `search_networkentry` holds one
row per distinct (county, code, term set, facet values) with how many documents
have it (`n`) and the smallest doc_id (the one a search shows, as
`DISTINCT ON (code) … ORDER BY score DESC, doc_id` chose before).

Statement-level triggers on search_searchdocument keep it exact, whatever
writes the documents (outbox task, reindex, a point's deletion): inserted rows
are added by group in one upsert, deleted rows subtracted, and a group whose
representative went is given the smallest doc_id left. So nothing in Python
has to remember it, and it can never drift from the documents.
"""
from django.db import migrations

KEY = "county_code, code, terms_key, department, themes, targets, visits, online"
MATCH = " AND ".join(f"e.{c} = g.{c}" for c in KEY.split(", "))
MATCH_DOC = " AND ".join(f"d.{c} = e.{c}" for c in KEY.split(", "))

# The three steps the triggers are made of (an update is a removal and an addition).
ADD = f"""    INSERT INTO search_networkentry AS e ({KEY}, doc_id, n)
    SELECT {KEY}, min(doc_id), count(*) FROM added GROUP BY {KEY}
    ORDER BY {KEY}  -- one lock order for concurrent writers
    ON CONFLICT ON CONSTRAINT search_networkentry_group
    DO UPDATE SET n = e.n + EXCLUDED.n, doc_id = least(e.doc_id, EXCLUDED.doc_id);
"""
SUBTRACT = f"""    UPDATE search_networkentry e SET n = e.n - g.n
    FROM (SELECT {KEY}, count(*) AS n FROM removed GROUP BY {KEY}) g WHERE {MATCH};
"""
# A group whose representative was removed: the smallest doc_id left.
REPICK = f"""    UPDATE search_networkentry e SET doc_id = (
        SELECT min(d.doc_id) FROM search_searchdocument d WHERE {MATCH_DOC})
    WHERE e.doc_id IN (SELECT doc_id FROM removed);
"""

FORWARD = f"""
CREATE TABLE search_networkentry (
    county_code varchar(6) NOT NULL,
    code varchar(32) NOT NULL,
    terms_key varchar(40) NOT NULL,
    department varchar(50) NOT NULL,
    themes varchar(20)[] NOT NULL,
    targets varchar(10)[] NOT NULL,
    visits smallint NOT NULL,
    online varchar(10) NOT NULL,
    doc_id varchar(120) NOT NULL,
    n integer NOT NULL,
    CONSTRAINT search_networkentry_group UNIQUE ({KEY})
);
CREATE INDEX search_networkentry_county_terms ON search_networkentry (county_code, terms_key);
CREATE INDEX search_networkentry_doc ON search_networkentry (doc_id);

CREATE FUNCTION search_networkentry_add() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
{ADD}    RETURN NULL;
END $$;

CREATE FUNCTION search_networkentry_remove() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
{SUBTRACT}    DELETE FROM search_networkentry WHERE n <= 0;
{REPICK}    RETURN NULL;
END $$;

CREATE FUNCTION search_networkentry_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
{SUBTRACT}{ADD}    DELETE FROM search_networkentry WHERE n <= 0;
{REPICK}    RETURN NULL;
END $$;

CREATE TRIGGER search_networkentry_on_insert AFTER INSERT ON search_searchdocument
    REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION search_networkentry_add();
CREATE TRIGGER search_networkentry_on_delete AFTER DELETE ON search_searchdocument
    REFERENCING OLD TABLE AS removed FOR EACH STATEMENT EXECUTE FUNCTION search_networkentry_remove();
CREATE TRIGGER search_networkentry_on_update AFTER UPDATE ON search_searchdocument
    REFERENCING OLD TABLE AS removed NEW TABLE AS added FOR EACH STATEMENT
    EXECUTE FUNCTION search_networkentry_change();

INSERT INTO search_networkentry ({KEY}, doc_id, n)
SELECT {KEY}, min(doc_id), count(*) FROM search_searchdocument GROUP BY {KEY};
"""

BACKWARD = """
DROP TRIGGER search_networkentry_on_insert ON search_searchdocument;
DROP TRIGGER search_networkentry_on_delete ON search_searchdocument;
DROP TRIGGER search_networkentry_on_update ON search_searchdocument;
DROP FUNCTION search_networkentry_add();
DROP FUNCTION search_networkentry_remove();
DROP FUNCTION search_networkentry_change();
DROP TABLE search_networkentry;
"""


class Migration(migrations.Migration):
    dependencies = [("search", "0004_seed_licence_synonyms")]
    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
