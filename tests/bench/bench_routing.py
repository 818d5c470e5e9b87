"""Routing with powers granted to parks (issue 15): the p95 of one routing
decision (cases.routing.route) with 1,000 active grants across 50 parks,
against the same decisions without any grant, in the same run.

The network is rows only (a county and 50 parks as ServicePoint rows, no
schemas: routing reads nothing else); the grants are written in bulk (20 per
park, 1–5 delegable items each, 40 enterprises each) and are all active. The
decisions measured, BENCH_ROUTING_CALLS each (2,000), in alternating rounds:

- granted: a delegable item and an enterprise in a grant's scope (→ the park);
- out of scope: a delegable item, an enterprise no grant covers (→ the county);
- not delegable: an item the standard does not mark delegable (no query);
- person: an ID number (no query);
- tiers only: the stock routing (no applicant given), the floor.

"without grants" runs the same calls with the grants' rows set to draft (the
table the same size, nothing in force) and then with the table empty.

    python3 infra/yimen.py bench bench_routing
"""
from __future__ import annotations

import datetime as dt
import os
import random
import statistics
import time

from stdnum.cn import uscc

from tests.bench.common import machine, setup_django

CALLS = int(os.environ.get("BENCH_ROUTING_CALLS", "2000"))
PARKS, GRANTS_PER_PARK, CODES_PER_GRANT = 50, 20, 40
ROUNDS = 3
COUNTY = "700003"


def code(n: int) -> str:
    body = f"91{COUNTY}{n:08d}X"
    return body + uscc.calc_check_digit(body)


def build():
    from django.core.management import call_command

    from standards.demo import load_demo_catalogue
    from standards.models import StandardItem
    from tenants.models import ServicePoint

    call_command("deploy_points", verbosity=0)
    load_demo_catalogue(progress=lambda *a: None)
    county = ServicePoint.objects.create(name="基准县", slug="bench-rt-county", tier="county",
                                         region_code=COUNTY + "000000", schema_name="bench_rt_county")
    parks = ServicePoint.objects.bulk_create([
        ServicePoint(name=f"基准园区{n}", slug=f"bench-rt-park{n}", tier="park", parent=county,
                     region_code=f"{COUNTY}4{n:02d}000", schema_name=f"bench_rt_park{n}") for n in range(PARKS)])
    items = [i for i in StandardItem.objects.filter(current__isnull=False).select_related("current")
             if i.current.content.get("park_delegable")]
    plain = [i for i in StandardItem.objects.filter(current__isnull=False).select_related("current")
             if not i.current.content.get("park_delegable") and i.current.decide_tier == "county"]
    return county, parks, items, plain


def grant_all(county, parks, items) -> list[tuple]:
    """1,000 active grants; returns (item, credit code) pairs that some grant covers."""
    from powers.models import PowerGrant

    rng = random.Random(15)
    today = dt.date.today()
    grants, chosen, covered, serial = [], [], [], 0
    for park in parks:
        for _ in range(GRANTS_PER_PARK):
            codes = [code(serial + k) for k in range(CODES_PER_GRANT)]
            serial += CODES_PER_GRANT
            grant_items = rng.sample(items, rng.randint(1, 5))
            grants.append(PowerGrant(
                grantor=county, department=grant_items[0].current.department, grantee=park,
                stages=["accept", "review", "decide"], credit_codes=codes, instrument_number="基准〔2026〕1号",
                instrument_date=today, seal_name="基准章", valid_from=today - dt.timedelta(days=1),
                valid_to=today + dt.timedelta(days=365), status="active"))
            chosen.append(grant_items)
            covered.append((grant_items[0], codes[rng.randrange(CODES_PER_GRANT)]))
    made = PowerGrant.objects.bulk_create(grants)
    through = PowerGrant.items.through
    through.objects.bulk_create([through(powergrant_id=g.pk, standarditem_id=i.pk)
                                 for g, its in zip(made, chosen, strict=True) for i in its])
    return covered


def p95(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=20)[-1] * 1000  # ms


def measure(county, cases) -> dict[str, float]:
    from cases.routing import route

    out = {}
    for name, calls in cases.items():
        samples = []
        for version, applicant in calls:
            started = time.perf_counter()
            route(version, county, applicant)
            samples.append(time.perf_counter() - started)
        out[name] = p95(samples)
    return out


def main() -> None:
    setup_django()
    from django.db import connection

    from powers.models import PowerGrant

    print(f"machine: {machine()}")
    county, parks, items, plain = build()
    covered = grant_all(county, parks, items)
    rng = random.Random(2026)
    picks = [rng.choice(covered) for _ in range(CALLS)]
    cases = {
        "granted": [(i.current, c) for i, c in picks],
        "out of scope": [(rng.choice(items).current, code(10_000_000 + n)) for n in range(CALLS)],
        "not delegable": [(rng.choice(plain).current, code(n)) for n in range(CALLS)],
        "person": [(rng.choice(items).current, "11010519491231002X") for _ in range(CALLS)],
        "tiers only": [(rng.choice(items).current, "") for _ in range(CALLS)],
    }
    from cases.routing import route

    version, applicant = cases["granted"][0]
    assert route(version, county, applicant).deciding_point.tier == "park", "a granted enterprise goes to its park"
    measure(county, cases)  # warm-up
    with_grants, drafted = [], []
    for _ in range(ROUNDS):
        PowerGrant.objects.update(status="active")
        with_grants.append(measure(county, cases))
        PowerGrant.objects.update(status="draft")
        drafted.append(measure(county, cases))
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE powers_powergrant_items, powers_grantevent, powers_grantreminder, "
                       "powers_powergrant")
    empty = [measure(county, cases) for _ in range(ROUNDS)]

    def med(rounds, name):
        return statistics.median(r[name] for r in rounds)

    print(f"\nrouting decision p95, {CALLS} calls each, median of {ROUNDS} rounds "
          f"({PARKS} parks, {PARKS * GRANTS_PER_PARK} grants)")
    print(f"{'decision':<15}{'1,000 active':>14}{'none in force':>15}{'no grants':>11}{'ratio':>8}")
    for name in cases:
        a, d, e = med(with_grants, name), med(drafted, name), med(empty, name)
        print(f"{name:<15}{a:>12.3f}ms{d:>13.3f}ms{e:>9.3f}ms{a / e:>8.2f}")
    floor = med(empty, "tiers only")
    print(f"\nratio granted/tiers-only (no grants): {med(with_grants, 'granted') / floor:.2f}; "
          f"out of scope/tiers-only: {med(with_grants, 'out of scope') / floor:.2f}")


if __name__ == "__main__":
    main()
