"""Keeping the rollups (stats.models.Rollup) from the cases' events and ratings.

`update()` (Celery beat, stats.tasks) reads what came since the last run, turns
each event into counter deltas (`deltas_for_events`), adds them to the rows of
the point and its ancestors at the three grains, and moves the watermark
(`Cursor`) in the same transaction: a run that fails changes nothing, and a run
repeated adds nothing twice.

Event ids come from a sequence and are taken before the transaction commits,
so a lower id can become visible after a higher one was read. The cursor keeps
every id it found missing below its high mark (`gaps`) and reads those again on
each run; a gap is given up as a rolled-back transaction only after
STATS_GAP_SECONDS (5 minutes). `rebuild()` recomputes everything from the
events in one transaction. Which figure belongs to which point and day is in
docs/statistics.md; both paths share `deltas_for_events`, so they agree.
"""
from __future__ import annotations

import datetime as dt
import io
import time
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from tenants.models import ServicePoint

from .calendar import WorkdayIndex
from .models import COUNTERS, Cursor, Rollup

FIELDS = list(COUNTERS)
INDEX = {name: n for n, name in enumerate(FIELDS)}
WIDTH = len(FIELDS)
EVENTS, RATINGS = "events", "ratings"
RECEIVE = ("receive_window", "receive_online")
ACCEPT = ("accept", "accept_with_tolerance")
STEP_COUNTERS = {"refuse": "refused", "withdraw": "withdrawn", "hand_up": "handed_up", "return_down": "returned"}
SATISFIED_FROM = 4  # grades 4 (满意) and 5 (非常满意)
BATCH = 20000


def gap_seconds() -> float:
    return float(getattr(settings, "STATS_GAP_SECONDS", 300))


# --- the hierarchy ------------------------------------------------------------

class Tree:
    """Each point's id with its ancestors' ids (from region codes, one query)."""

    def __init__(self) -> None:
        codes = dict(ServicePoint.objects.values_list("region_code", "pk"))
        self.chains: dict[int, tuple[int, ...]] = {}
        for code, pk in codes.items():
            above = {code[:6] + "0" * 6, code[:9] + "0" * 3} - {code}
            ancestors = [codes[c] for c in sorted(above) if c in codes]
            self.chains[pk] = (pk, *ancestors)

    def chain(self, point_id: int) -> tuple[int, ...]:
        return self.chains.get(point_id, (point_id,))


# --- events → deltas ------------------------------------------------------------

Deltas = dict[tuple[int, int, dt.date], list[int]]  # (point, version, day) → counters


def _add(deltas: Deltas, point: int | None, version: int, day: dt.date | None, **counts: int) -> None:
    if point is None or day is None:
        return
    row = deltas.get((point, version, day))
    if row is None:
        row = deltas[(point, version, day)] = [0] * WIDTH
    for name, value in counts.items():
        row[INDEX[name]] += value


_zone: list = []


def _local(moment: dt.datetime | None) -> dt.date | None:
    # The local (Asia/Shanghai) date; the zone looked up once (timezone.localdate asks for it each time).
    if not _zone:
        _zone.append(timezone.get_default_timezone())
    return moment.astimezone(_zone[0]).date() if moment else None


EVENT_SQL = """
SELECT e.id, e.case_id, e.action, e.point_id, e.at, c.origin_point_id, c.version_id, c.channel
FROM cases_caseevent e JOIN cases_case c ON c.id = e.case_id
WHERE {where} ORDER BY e.id
"""

CLOSED_SQL = """
WITH steps AS (
  SELECT case_id,
         (array_agg(point_id ORDER BY seq DESC)
            FILTER (WHERE action IN ('accept', 'accept_with_tolerance')))[1] AS accept_point,
         count(*) FILTER (WHERE action = 'supplement_received') AS supplements
  FROM cases_caseevent WHERE case_id = ANY(%s) GROUP BY case_id)
SELECT c.id, c.channel, c.delivery, c.received_at, c.accepted_at, c.decided_at, c.delivered_at, c.due_date,
       v.promised_days, steps.accept_point, steps.supplements
FROM cases_case c JOIN standards_standarditemversion v ON v.id = c.version_id JOIN steps ON steps.case_id = c.id
"""


def visits(channel: str, delivery: str, received: dt.date | None, delivered: dt.date | None,
           window_supplements: int) -> int:
    """Times the applicant came to a window for a case: the intake at the window, each 补正 brought
    to a window, and fetching the result at the window unless it was handed over on the day of
    the intake (the same visit)."""
    count = 1 if channel == "window" else 0
    count += window_supplements
    if delivery == "window" and not (channel == "window" and received and received == delivered):
        count += 1
    return count


def deltas_for_events(rows: Iterable[tuple], calendar: WorkdayIndex | None = None) -> Deltas:
    """Counter deltas of events (rows of EVENT_SQL), by (point, version, local day)."""
    deltas: Deltas = {}
    closes: list[tuple] = []
    for _id, case_id, action, point_id, at, origin_id, version_id, channel in rows:
        day = _local(at)
        if action in RECEIVE:
            _add(deltas, origin_id, version_id, day, received=1, online=int(channel == "online"))
        elif action in ACCEPT:
            _add(deltas, point_id or origin_id, version_id, day, accepted=1)
        elif action in STEP_COUNTERS:
            _add(deltas, point_id or origin_id, version_id, day, **{STEP_COUNTERS[action]: 1})
        elif action == "close":
            closes.append((case_id, version_id, day, origin_id))
    if closes:
        calendar = calendar or WorkdayIndex()
        with connection.cursor() as cursor:
            cursor.execute(CLOSED_SQL, [[case_id for case_id, *_ in closes]])
            facts = {row[0]: row[1:] for row in cursor.fetchall()}
        for case_id, version_id, day, origin_id in closes:
            (channel, delivery, received_at, accepted_at, decided_at, delivered_at, due, promised,
             accept_point, supplements) = facts[case_id]
            decided = _local(decided_at)
            counts = {"completed": 1, "immediate": int(promised == 0),
                      "one_visit": int(visits(channel, delivery, _local(received_at), _local(delivered_at),
                                              supplements if channel == "window" else 0) <= 1)}
            if decided and due:
                # The due date moved on by the days the clock stopped: what the case used of its
                # promise is the promise plus the working days it ended after (or before) it.
                counts["on_time"] = int(decided <= due)
                counts["days_used"] = max(0, promised + calendar.cum(decided) - calendar.cum(due))
                counts["days_promised"] = promised
            _add(deltas, accept_point or origin_id, version_id, day, **counts)
    return deltas


RATING_SQL = """
SELECT r.id, r.point_id, c.version_id, r.grade, r.rated_at
FROM cases_rating r JOIN cases_case c ON c.id = r.case_id
WHERE {where} ORDER BY r.id
"""


def deltas_for_ratings(rows: Iterable[tuple]) -> Deltas:
    deltas: Deltas = {}
    for _id, point_id, version_id, grade, rated_at in rows:
        _add(deltas, point_id, version_id, _local(rated_at), ratings=1, satisfied=int(grade >= SATISFIED_FROM))
    return deltas


SOURCES: dict[str, tuple[str, str, Any]] = {
    EVENTS: (EVENT_SQL, "e.id", deltas_for_events), RATINGS: (RATING_SQL, "r.id", deltas_for_ratings)}


# --- deltas → rows --------------------------------------------------------------

# The deltas go to the database by COPY into a temporary table, with each point's chain (itself
# and its ancestors); one INSERT … SELECT adds them to the day, month and year rows of every
# point of the chain, keys sorted (concurrent writers lock alike), summed by key first.
TEMP = ("CREATE TEMP TABLE IF NOT EXISTS stats_delta (point_id bigint, version_id bigint, day date, "
        + ", ".join(f"{name} bigint" for name in FIELDS) + "); "
        "CREATE TEMP TABLE IF NOT EXISTS stats_chain (point_id bigint, scope_id bigint)")
SUMMED = ", ".join(f"sum(d.{name})" for name in FIELDS)
UPSERT = f"""
INSERT INTO stats_rollup (point_id, grain, period, version_id, {', '.join(FIELDS)})
SELECT c.scope_id, g.grain,
       CASE g.grain WHEN 'd' THEN d.day WHEN 'm' THEN date_trunc('month', d.day)::date
                    ELSE date_trunc('year', d.day)::date END AS period,
       d.version_id, {SUMMED}
FROM stats_delta d JOIN stats_chain c ON c.point_id = d.point_id
CROSS JOIN (VALUES ('d'), ('m'), ('y')) AS g (grain)
GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4
ON CONFLICT (point_id, grain, period, version_id) DO UPDATE SET
""" + ", ".join(f"{name} = stats_rollup.{name} + EXCLUDED.{name}" for name in FIELDS)


def stage(deltas: Deltas, tree: Tree, chains_done: set[int] | None = None) -> None:
    """COPY the deltas (and the chains of their points not staged yet) into the temporary tables."""
    done = set() if chains_done is None else chains_done
    lines = io.StringIO()
    for (point, version, day), counts in deltas.items():
        lines.write(f"{point}\t{version}\t{day.isoformat()}\t" + "\t".join(map(str, counts)) + "\n")
    chains = io.StringIO()
    for point in {point for point, _version, _day in deltas} - done:
        done.add(point)
        for scope in tree.chain(point):
            chains.write(f"{point}\t{scope}\n")
    with connection.cursor() as cursor:
        for buffer, table in ((lines, "stats_delta"), (chains, "stats_chain")):
            buffer.seek(0)
            cursor.copy_expert(f"COPY {table} FROM STDIN", buffer)


def _temp_tables() -> None:
    with connection.cursor() as cursor:
        cursor.execute(TEMP)
        cursor.execute("TRUNCATE stats_delta, stats_chain")


def flush() -> int:
    """Add what is staged to the rollups; the rows touched."""
    with connection.cursor() as cursor:
        cursor.execute(UPSERT)
        touched = cursor.rowcount
        cursor.execute("TRUNCATE stats_delta, stats_chain")
    return touched


def write(deltas: Deltas, tree: Tree) -> int:
    """Add the deltas to the rows of their points and ancestors at the three grains; the rows touched."""
    if not deltas:
        return 0
    _temp_tables()
    stage(deltas, tree)
    return flush()


# --- the incremental run --------------------------------------------------------

def _cursor(name: str, *, wait: bool) -> Cursor | None:
    Cursor.objects.get_or_create(name=name)
    query = Cursor.objects.filter(name=name)
    return (query.select_for_update() if wait else query.select_for_update(skip_locked=True)).first()


def _step(name: str, tree: Tree, calendar: WorkdayIndex, batch: int, wait: bool) -> int:
    """One batch of one source in one transaction; returns the rows it read (0: nothing new)."""
    sql, id_column, to_deltas = SOURCES[name]
    with transaction.atomic():
        cursor = _cursor(name, wait=wait)
        if cursor is None:  # another run holds it: it will read what is new
            return 0
        gaps = {int(k): v for k, v in cursor.gaps.items()}
        with connection.cursor() as db:
            db.execute(sql.format(where=f"{id_column} > %s") + " LIMIT %s", [cursor.high, batch])
            rows = db.fetchall()
            if gaps:
                db.execute(sql.format(where=f"{id_column} = ANY(%s)"), [sorted(gaps)])
                late = db.fetchall()
            else:
                late = []
        fresh = rows + late
        deltas = to_deltas(fresh, calendar) if name == EVENTS else to_deltas(fresh)
        write(deltas, tree)
        now = time.time()
        for row in late:
            gaps.pop(row[0], None)
        if rows:
            seen = {row[0] for row in rows}
            top = rows[-1][0]
            gaps.update({missing: now for missing in range(cursor.high + 1, top) if missing not in seen})
            cursor.high = top
        # A gap older than this belongs to a transaction that rolled back (its id is never used).
        kept = {str(k): v for k, v in gaps.items() if now - v < gap_seconds()}
        if fresh or kept != cursor.gaps:  # untouched when nothing moved: dashboards' caches stay valid
            cursor.gaps = kept
            cursor.save()
        return len(fresh)


def update(batch: int = BATCH, max_batches: int | None = None, *, wait: bool = False) -> int:
    """Read what is new in both sources, a batch per transaction, until nothing is; the rows read.
    A run finding another one at work leaves to it (beat); `wait` waits for it instead (tests, commands)."""
    tree, calendar, total = Tree(), WorkdayIndex(), 0
    for name in SOURCES:
        for _ in range(max_batches or 10 ** 9):
            read = _step(name, tree, calendar, batch, wait)
            total += read
            if read < batch:
                break
    return total


# --- the rebuild ---------------------------------------------------------------

def rebuild(progress=None, chunk: int = 100000) -> int:
    """Recompute every rollup from the events and ratings, in one transaction (the
    incremental runs wait for it); returns the rows written."""
    tree, calendar, written = Tree(), WorkdayIndex(), 0
    with transaction.atomic():
        cursors = {name: Cursor.objects.select_for_update().get(name=name)
                   for name in SOURCES if _cursor(name, wait=True)}
        with connection.cursor() as db:  # not the ORM's delete, which would read every row first
            db.execute(f"DELETE FROM {Rollup._meta.db_table}")
        # Every delta is staged first and summed into the (empty) table by one statement at the end.
        _temp_tables()
        chains: set[int] = set()
        for name, (sql, id_column, to_deltas) in SOURCES.items():
            high, ids_top = 0, []
            while True:
                with connection.cursor() as db:
                    db.execute(sql.format(where=f"{id_column} > %s") + " LIMIT %s", [high, chunk])
                    rows = db.fetchall()
                if not rows:
                    break
                deltas = to_deltas(rows, calendar) if name == EVENTS else to_deltas(rows)
                stage(deltas, tree, chains)
                high = rows[-1][0]
                ids_top = [row[0] for row in rows[-10000:]]
                if progress:
                    progress(f"{name}: ≤ {high}")
            # Ids missing just below the top may belong to transactions still running: read them again.
            now = time.time()
            top_ids = set(ids_top)
            low = ids_top[0] if ids_top else 0
            cursors[name].high = high
            cursors[name].gaps = {str(i): now for i in range(low + 1, high) if i not in top_ids}
            cursors[name].save()
        written = flush()
        with connection.cursor() as db:  # the planner's statistics of a table just rewritten
            db.execute(f"ANALYZE {Rollup._meta.db_table}")
    return written
