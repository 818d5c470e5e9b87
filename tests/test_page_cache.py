"""The page cache of citizen pages (cms.page_cache): a page read twice is the
stored one (no database query), and every event that changes what a citizen
reads shows on the very next request — a guide published or unpublished, a
standard version propagated, an item adopted or dropped, a point's details
edited, a grant starting and ending. Editors and citizens never share a page;
large text and normal never mix; ETags answer If-None-Match with 304."""
from __future__ import annotations

import datetime as dt
import html
import itertools
import time

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import tenant_context
from stdnum.cn import uscc

from tests.test_propagation import _new_version  # draft, review, publish by two central admins

ALL_TIERS = ["county", "township", "village", "park"]
_serial = itertools.count(30_000_000)


@pytest.fixture
def network(shared_network):
    """One network for the module: each test reads items of its own (its own paths)."""
    return shared_network


def fetch(client, path: str, **headers):
    """(response, number of database queries it took)."""
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path, **headers)
    connection.set_schema_to_public()
    return response, len(queries.captured_queries)


def text(response) -> str:
    assert response.status_code == 200, response.status_code
    return html.unescape(response.content.decode())


def stored(client, path: str) -> str:
    """Read a page twice: the second answer must be the stored one (no query at all)."""
    first = text(fetch(client, path)[0])
    response, queries = fetch(client, path)
    assert queries == 0, f"{path} was not answered from the page cache ({queries} queries)"
    assert text(response) == first
    return first


def adopt(version, *points):
    from cms.adoption import adopt as adopt_at

    for point in points:
        with tenant_context(point):
            adopt_at(point, [version])


def edit_guide(point, code, **values):
    from cms.models import ItemGuidePage

    with tenant_context(point):
        page = ItemGuidePage.objects.get(code=code)
        for key, value in values.items():
            setattr(page, key, value)
        page.save_revision().publish()


def test_headers_etag_and_304(network, make_item, client_at):
    version = make_item(accept_tiers=ALL_TIERS)
    adopt(version, network.village)
    citizen = client_at(network.village)
    path = f"/items/{version.code}/"
    stored(citizen, path)
    response, _ = fetch(citizen, path)
    tag = response["ETag"]
    assert tag.startswith('"') and tag.endswith('"')
    # Shared caches may keep it a few seconds; a browser asks again on every view (then a 304).
    control = {part.strip() for part in response["Cache-Control"].split(",")}
    assert {"public", "max-age=0"} <= control and any(part.startswith("s-maxage=") for part in control)
    assert {"cookie", "accept-language"} <= {v.strip().lower() for v in response["Vary"].split(",")}

    unchanged, queries = fetch(citizen, path, HTTP_IF_NONE_MATCH=tag)
    assert unchanged.status_code == 304 and unchanged.content == b"" and queries == 0
    assert unchanged["ETag"] == tag

    edit_guide(network.village, version.code, window="便民窗口 7 号")
    changed, _ = fetch(citizen, path, HTTP_IF_NONE_MATCH=tag)
    assert changed.status_code == 200 and "便民窗口 7 号" in text(changed)
    assert changed["ETag"] != tag
    assert fetch(citizen, path, HTTP_IF_NONE_MATCH=changed["ETag"])[0].status_code == 304


def test_publish_and_unpublish_show_at_once(network, make_item, client_at):
    from cms.models import ItemGuidePage

    version = make_item(accept_tiers=ALL_TIERS, name="测试缓存发布事项")
    adopt(version, network.village, network.township)
    village, township = client_at(network.village), client_at(network.township)
    path = f"/items/{version.code}/"
    assert "综合窗口 9 号" not in stored(village, path)
    assert "测试缓存发布事项" in stored(village, "/items/")
    assert network.village.name in stored(township, path)  # "where else" at the township

    edit_guide(network.village, version.code, window="综合窗口 9 号", title="测试缓存发布事项（本村）")
    assert "综合窗口 9 号" in stored(village, path)
    assert "测试缓存发布事项（本村）" in stored(village, "/items/")

    with tenant_context(network.village):
        ItemGuidePage.objects.get(code=version.code).unpublish()
    assert fetch(village, path)[0].status_code == 404
    assert "测试缓存发布事项" not in stored(village, "/items/")
    assert network.village.name not in stored(township, path).split('id="where-else"')[1]

    with tenant_context(network.village):
        page = ItemGuidePage.objects.get(code=version.code)
        page.save_revision().publish()
    assert "综合窗口 9 号" in stored(village, path)


def test_a_propagated_version_shows_at_once(network, make_item, client_at, celery_worker):
    version = make_item(accept_tiers=ALL_TIERS, fee="不收费")
    adopt(version, network.village)
    village = client_at(network.village)
    path = f"/items/{version.code}/"
    assert "工本费 5 元" not in stored(village, path)

    run = _new_version(version, network, fee="工本费 5 元")
    deadline = time.monotonic() + 90
    while run.status != "done":
        assert time.monotonic() < deadline, "propagation not done"
        time.sleep(0.3)
        run.refresh_from_db()
    assert "工本费 5 元" in stored(village, path)


def test_adopting_and_dropping_show_at_once_here_and_in_where_else(network, make_item, client_at):
    from cms.adoption import drop

    version = make_item(accept_tiers=ALL_TIERS, name="测试缓存采用事项")
    adopt(version, network.township)
    village, township = client_at(network.village), client_at(network.township)
    path = f"/items/{version.code}/"
    assert "测试缓存采用事项" not in stored(village, "/items/")
    assert network.village.name not in stored(township, path).split('id="where-else"')[1]

    adopt(version, network.village)
    assert "测试缓存采用事项" in stored(village, "/items/")
    assert network.village.name in stored(township, path).split('id="where-else"')[1]

    with tenant_context(network.village):
        drop(network.village, [version.code])
    assert "测试缓存采用事项" not in stored(village, "/items/")
    assert fetch(village, path)[0].status_code == 404
    assert network.village.name not in stored(township, path).split('id="where-else"')[1]


def test_a_points_details_edited_show_on_its_pages_and_in_where_else(network, make_item, client_at):
    version = make_item(accept_tiers=ALL_TIERS)
    adopt(version, network.village, network.other_village)
    village = client_at(network.other_village)
    home = stored(client_at(network.village), "/")
    guide = stored(village, f"/items/{version.code}/")
    assert "0731-86201234" not in home and "0731-86201234" not in guide

    point = type(network.village).objects.get(pk=network.village.pk)
    point.phone = "0731-86201234"
    point.save()
    try:
        assert "0731-86201234" in stored(client_at(network.village), "/")
        assert "0731-86201234" in stored(village, f"/items/{version.code}/").split('id="where-else"')[1]
    finally:
        point.phone = network.village.phone
        point.save()


def credit_code(region: str = "430100") -> str:
    body = f"91{region}{next(_serial):08d}X"
    return body + uscc.calc_check_digit(body)


def test_a_grant_starting_and_ending_shows_at_the_park_and_the_county(network, client_at):
    from django.utils import timezone

    from powers import services
    from powers.services import GrantSpec

    item, department = "YM-STJ-XK-001", "生态环境局"
    county, park = client_at(network.county), client_at(network.park)
    path = f"/items/{item}/"
    assert "园区企业请到园区办理" not in stored(county, path)
    assert "赋权事项" not in stored(park, "/items/")

    drafter = network.user("pc-admin-a", network.county, "central_admin")
    approver = network.user("pc-admin-b", network.county, "central_admin")
    today = timezone.localdate()
    grant = services.draft(drafter, network.county, GrantSpec(
        department=department, grantee=network.park, item_codes=[item], stages=["all"],
        credit_codes=[credit_code()], instrument_number="云政发〔2026〕141号", instrument_date=dt.date(2026, 3, 1),
        valid_from=today, valid_to=today + dt.timedelta(days=365), seal_name="测试园区行政审批专用章",
        notice_url="https://gov.example/notices/141"))
    services.activate(grant.pk, approver, network.county)
    assert "园区企业请到园区办理" in stored(county, path)
    assert "赋权事项" in stored(park, "/items/") and "赋权园区办理" in stored(park, path)

    services.revoke(grant.pk, approver, network.county, "园区机构调整")
    assert "园区企业请到园区办理" not in stored(county, path)
    assert "赋权事项" not in stored(park, "/items/") and "赋权园区办理" not in stored(park, path)


def test_editors_and_citizens_never_share_a_page(network, make_item, client_at):
    version = make_item(accept_tiers=ALL_TIERS)
    adopt(version, network.village)
    editor = client_at(network.village)
    editor.force_login(network.user(f"pc-editor{version.pk}", network.village, "editor"))
    citizen = client_at(network.village)
    path, print_path = f"/items/{version.code}/", f"/items/{version.code}/print/"

    # A page stored for citizens is not what an editor gets: made for them, never to be kept.
    stored(citizen, path)
    for _ in range(2):
        response, queries = fetch(editor, path)
        assert response.status_code == 200 and queries > 0
        assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]
        assert not response.has_header("ETag")

    # A page an editor read first is not stored for citizens.
    assert fetch(editor, print_path)[1] > 0
    assert fetch(citizen, print_path)[1] > 0
    assert fetch(citizen, print_path)[1] == 0


def test_large_text_and_normal_never_mix(network, make_item, client_at):
    version = make_item(accept_tiers=ALL_TIERS)
    adopt(version, network.village)
    normal, large = client_at(network.village), client_at(network.village)
    large.cookies["yimen_text"] = "large"
    path = f"/items/{version.code}/"
    for _ in range(2):
        assert 'class="large-text' not in stored(normal, path)
        assert 'class="large-text' in stored(large, path)
    # The toggle itself, through its view, switches what the same client reads.
    switched = client_at(network.village)
    assert 'class="large-text' not in stored(switched, path)
    switched.get("/text-size/", {"size": "large", "next": path})
    assert 'class="large-text' in stored(switched, path)
    switched.get("/text-size/", {"size": "normal", "next": path})
    assert 'class="large-text' not in stored(switched, path)
