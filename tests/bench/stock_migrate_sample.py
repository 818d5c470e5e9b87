"""Stock `migrate_schemas` on a sample of points, for bench_migrations at 1,000
points (stock takes about a quarter of a second per point even with nothing to
do, so the whole network would make the bench run for many minutes).

Run as its own process, as `manage.py migrate_schemas` is: public first, then
each schema of BENCH_SAMPLE_SCHEMAS (comma-separated) through the command's
own per-schema path (django-tenants' standard executor runs exactly this for
each tenant in turn). Prints one JSON line: the seconds before the first
point (start-up and public) and the seconds of the points' loop.
"""
from __future__ import annotations

import json
import os
import time

started = time.perf_counter()


def main() -> None:
    from tests.bench.common import setup_django

    setup_django()
    from django.core.management import call_command

    call_command("migrate_schemas", shared=True, interactive=False, verbosity=0)
    loop_started = time.perf_counter()
    for schema in os.environ["BENCH_SAMPLE_SCHEMAS"].split(","):
        call_command("migrate_schemas", schema_name=schema, tenant=True, interactive=False, verbosity=0)
    finished = time.perf_counter()
    print(json.dumps({"fixed": loop_started - started, "points": finished - loop_started}))


if __name__ == "__main__":
    main()
