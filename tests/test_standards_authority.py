"""Two counties in one cell (a prefecture cell): each county's central admins
see and change only their own standard items and synonyms, the shared ones
are read-only for both, and one county's publications and synonyms never
reach the other's points."""
from __future__ import annotations

import html
import json
import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django_tenants.utils import tenant_context

from cms.models import ItemGuidePage
from search import service
from search.models import SynonymGroup
from search.query import parse
from standards import authority, propagation, services
from standards.models import Propagation, PropagationTarget, StandardItem, VersionStatus
from tests.conftest import Network

ADMIN = "/admin/standards/"
ALL_TIERS = ["county", "township", "village", "park"]
MARRIAGE = "YM-MZJ-QR-001"  # 结婚登记 in the demo catalogue


def body(response) -> str:
    return html.unescape(response.content.decode())


class County:
    """A county network of the cell with two central admins; `client` is the
    author's, signed in afresh for each test (the `cell` fixture)."""

    def __init__(self, name: str):
        self.net = Network()
        self.code = authority.of_point(self.net.county)
        self.author = self.net.user(f"{name}-author", self.net.county, "central_admin")
        self.reviewer = self.net.user(f"{name}-reviewer", self.net.county, "central_admin")
        self.client = None

    def new_version(self, version, **changes):
        """A new version of one of this county's items: drafted, submitted, published by two admins."""
        draft = services.start_draft(version.item, self.author)
        services.update_draft(draft, {**draft.content, **changes}, self.author)
        services.submit_for_review(draft, self.author)
        return draft, services.publish(draft, self.reviewer)


@pytest.fixture(scope="module")
def counties(django_db_setup, django_db_blocker):
    """The two county networks, made once for the module (twelve onboardings
    instead of sixty): each test adds items, drafts, users and points of its own
    names only, and reads nothing another test changes."""
    from django.db import connection

    with django_db_blocker.unblock():
        made = County("a"), County("b")
    connection.set_schema_to_public()
    return made


@pytest.fixture
def cell(counties, client_at):
    for county in counties:
        county.client = client_at(county.net.county)
        county.client.force_login(county.author)
    return counties


def _wait(run: Propagation, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run.refresh_from_db()
        if run.status == "done":
            return
        time.sleep(0.3)
    raise AssertionError(f"propagation not done: {propagation.progress(run)}")


def _guide(point, code) -> ItemGuidePage | None:
    with tenant_context(point):
        return ItemGuidePage.objects.select_related("standard_version").filter(code=code).first()


def test_a_county_cannot_open_or_change_another_countys_items(cell, make_item):
    a, b = cell
    theirs = make_item(owner=b.net.county, adopt_at=[b.net.village], accept_tiers=ALL_TIERS, name="乙县独有事项")
    mine = make_item(owner=a.net.county, name="甲县独有事项")
    draft = services.start_draft(theirs.item, b.author)

    # B's item, its versions and its diff do not exist for A: 404 in Chinese, nothing of it shown.
    for url in (f"{ADMIN}items/{theirs.code}/", f"{ADMIN}items/{theirs.code}/diff/",
                f"{ADMIN}versions/{theirs.pk}/", f"{ADMIN}versions/{draft.pk}/",
                f"{ADMIN}versions/{draft.pk}/edit/"):
        page = a.client.get(url)
        assert page.status_code == 404, url
        assert authority.NOT_HERE in body(page) and "乙县独有事项" not in body(page)

    # Nor may A start, edit, submit, publish, return or discard anything of it.
    assert a.client.post(f"{ADMIN}items/{theirs.code}/draft/").status_code == 404
    assert a.client.post(f"{ADMIN}versions/{draft.pk}/edit/", {"name": "甲县改的"}).status_code == 404
    assert a.client.post(f"{ADMIN}versions/{draft.pk}/submit/").status_code == 404
    draft.refresh_from_db()
    assert draft.status == VersionStatus.DRAFT and draft.submitted_by is None
    services.submit_for_review(draft, b.author)
    for action in ("publish", "reject", "discard"):
        response = a.client.post(f"{ADMIN}versions/{draft.pk}/{action}/", {"review_note": "甲县退回"})
        assert response.status_code == 404, action
    draft.refresh_from_db()
    assert draft.status == VersionStatus.REVIEW and not draft.review_note
    assert StandardItem.objects.get(pk=theirs.item_id).current_id == theirs.pk

    # B publishes it; A cannot see how it spreads, nor retry it.
    run = services.publish(draft, b.reviewer)
    for response in (a.client.get(f"{ADMIN}propagations/{run.pk}/"),
                     a.client.post(f"{ADMIN}propagations/{run.pk}/retry/")):
        assert response.status_code == 404 and "乙县" not in body(response)
    assert b.client.get(f"{ADMIN}propagations/{run.pk}/").status_code == 200

    # A's list holds its own items and the shared ones (read-only), never B's.
    def listed(county, q) -> str:
        return body(county.client.get(ADMIN, {"q": q}))

    def row(code) -> str:
        return f'href="{ADMIN}items/{code}/"'

    assert row(mine.code) in listed(a, "独有事项") and row(theirs.code) not in listed(a, "独有事项")
    assert row("YM-GAJ-QR-001") in listed(a, "出生登记") and "共用（只读）" in listed(a, "出生登记")
    assert "<td>本县</td>" in listed(a, mine.code)
    assert row(theirs.code) not in listed(a, theirs.code) and row(theirs.code) in listed(b, theirs.code)
    # And A's export holds no item of B's.
    export = a.client.get(f"{ADMIN}export/", {"format": "json"})
    codes = {r["code"] for r in json.loads(b"".join(export.streaming_content) if export.streaming else export.content)}
    assert mine.code in codes and "YM-GAJ-QR-001" in codes and theirs.code not in codes


def test_a_file_imported_at_one_county_cannot_change_another_countys_item(cell, make_item):
    a, b = cell
    theirs = make_item(owner=b.net.county)
    record = {**theirs.content, "fee": "甲县定的收费"}
    upload = SimpleUploadedFile("theirs.json", json.dumps([record], ensure_ascii=False).encode(), "application/json")
    page = body(a.client.post(f"{ADMIN}import/", {"file": upload, "note": "甲县导入"}))
    assert f"该事项属于县级（{b.code}），不能以县级（{a.code}）的名义导入。" in page
    a.client.post(f"{ADMIN}import/", {"confirm": "1"})
    item = StandardItem.objects.get(pk=theirs.item_id)
    assert item.versions.count() == 1 and item.current.content["fee"] != "甲县定的收费"


def test_shared_items_are_read_only_for_every_county(cell, make_item):
    a, _ = cell
    shared = make_item(adopt_at=[a.net.village], accept_tiers=ALL_TIERS)  # the whole cell's
    page = a.client.get(f"{ADMIN}items/{shared.code}/")
    assert page.status_code == 200
    assert authority.READ_ONLY in body(page) and "从现行版本新建草稿" not in body(page)
    refused = a.client.post(f"{ADMIN}items/{shared.code}/draft/")
    assert refused.status_code == 403 and authority.READ_ONLY in body(refused)
    assert StandardItem.objects.get(pk=shared.item_id).versions.count() == 1

    # A draft the operator started is not the county's to touch either.
    draft = services.start_draft(shared.item)
    for action in ("edit", "submit", "publish", "discard"):
        response = a.client.post(f"{ADMIN}versions/{draft.pk}/{action}/")
        assert response.status_code == 403 and authority.READ_ONLY in body(response), action
    draft.refresh_from_db()
    assert draft.status == VersionStatus.DRAFT
    services.submit_for_review(draft)
    run = services.publish(draft)  # the operator's own publication (import_standards path)
    progress = a.client.get(f"{ADMIN}propagations/{run.pk}/")
    assert progress.status_code == 403 and "共用事项的推送由运维人员跟踪" in body(progress)


def test_one_countys_publication_never_reaches_the_other_countys_guides(cell, make_item, client_at, celery_worker):
    a, b = cell
    theirs = make_item(owner=b.net.county, adopt_at=[b.net.village], accept_tiers=ALL_TIERS, name="乙县便民事项")

    # A's village is not offered B's item, cannot adopt it, and a new point of A's does not get it.
    admin = a.net.user("vadmin", a.net.village, "admin")
    village = client_at(a.net.village)
    village.force_login(admin)
    assert f'value="{theirs.code}" id=' not in body(village.get("/admin/catalogue/", {"q": theirs.code}))
    b_village = client_at(b.net.village)
    b_village.force_login(b.net.user("vadmin", b.net.village, "admin"))
    assert f'value="{theirs.code}" id=' in body(b_village.get("/admin/catalogue/", {"q": theirs.code}))
    village.post("/admin/catalogue/", {"action": "adopt", "codes": [theirs.code]})
    assert _guide(a.net.village, theirs.code) is None
    newcomer = a.net.make("village3", "village", a.net.township.region_code[:9] + "203", "town")
    assert _guide(newcomer, theirs.code) is None
    b_newcomer = b.net.make("village3", "village", b.net.township.region_code[:9] + "203", "town")
    assert _guide(b_newcomer, theirs.code) is not None

    # An adoption recorded before the item had an owner (the item was then shared,
    # and the operator gave it to B since): B's new version still stops at B's border.
    legacy = make_item(adopt_at=[a.net.village, b.net.village], accept_tiers=ALL_TIERS, name="两县都办的事项")
    StandardItem.objects.filter(pk=legacy.item_id).update(authority=b.code)
    legacy.refresh_from_db()

    _, run = b.new_version(theirs, name="乙县便民事项（新版）")
    _, legacy_run = b.new_version(legacy, name="两县都办的事项（乙县新版）")
    for r in (run, legacy_run):
        points = set(PropagationTarget.objects.filter(propagation=r).values_list("point__region_code", flat=True))
        assert points and all(code.startswith(b.code) for code in points)
        _wait(r)
    assert _guide(b.net.village, legacy.code).standard_version.number == 2
    assert _guide(a.net.village, legacy.code).standard_version.number == 1
    page = body(client_at(a.net.village).get(f"/items/{legacy.code}/"))
    assert "两县都办的事项" in page and "乙县新版" not in page
    assert client_at(a.net.village).get(f"/items/{theirs.code}/").status_code == 404


def test_a_county_edits_only_its_own_synonyms_and_searches_only_with_them(cell):
    a, b = cell
    a.net.index()
    b.net.index()

    def first(county, q):
        hits = service.search(county.net.county, parse({"q": q}), lambda s, p: p, log=False)["results"]
        return [r["code"] for r in hits][:1]

    assert first(b, "喜结连理证") != [MARRIAGE]
    saved = b.client.post("/admin/search-synonyms/", {"groups": "喜结连理证 结婚登记"})
    assert saved.status_code == 302
    assert first(b, "喜结连理证") == [MARRIAGE]  # B's points search with B's table
    assert first(a, "喜结连理证") != [MARRIAGE]  # A's do not

    # A's table page shows A's groups and the shared ones, never B's.
    page = body(a.client.get("/admin/search-synonyms/"))
    assert "喜结连理证" not in page and "身份证 居民身份证" in page
    # Saving A's table leaves B's (and the shared groups) as they were.
    shared_before = list(SynonymGroup.objects.filter(authority="").values_list("words", flat=True))
    assert a.client.post("/admin/search-synonyms/", {"groups": "甲县土话证 结婚登记"}).status_code == 302
    assert list(SynonymGroup.objects.filter(authority=b.code).values_list("words", flat=True)) == [
        ["喜结连理证", "结婚登记"]]
    assert list(SynonymGroup.objects.filter(authority="").values_list("words", flat=True)) == shared_before
    assert first(b, "喜结连理证") == [MARRIAGE] and first(a, "甲县土话证") == [MARRIAGE]
    assert first(b, "甲县土话证") != [MARRIAGE]
