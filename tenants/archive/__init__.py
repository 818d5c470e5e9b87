"""Export and import one service point, with verification (its deletion is
tenants.deletion; its creation tenants.onboarding).

An archive (`.tar.gz`) holds everything that is the point's:

  manifest.json  what is inside: the point, the release (the schema's applied
                 migrations), content type ids, row counts per table of the
                 schema and per shared model, sha256 of every member and file
  manifest.sig   HMAC-SHA256 of manifest.json with the cell's archive key
                 (signing.py): the signature covers every member
  schema.sql     the point's schema, dumped by pg_dump (structure and rows)
  shared.json    its rows in the public schema (shared_rows.SHARED_ROWS)
                 and the accounts that hold roles there
  media/…        its uploads, MEDIA_ROOT/<schema>/…

The modules, along the seams of that job:

  format.py       the manifest, reading and verifying an archive, the counts
                  an export records and an import must find again
  export.py       export_point: one database snapshot (pg_dump --snapshot) for
                  schema and shared rows, so they agree even while people work
  restore.py      import_point: trusts nothing it has not checked, then
                  restores in one transaction and checks every count
  checks.py       what an archive may restore (its own point only)
  restore_role.py the database role that runs schema.sql (that schema only)
  shared_rows.py  which public rows are a point's (apps above register theirs)
  signing.py      the archive key; errors.py the one error they all raise

tenants may not import search (docs/architecture.md): a restored point's
search documents are rebuilt by search on tenants.hooks.point_restored.
"""
