"""Only live content is searchable, and it follows every change through the
outbox and a real Celery worker: Wagtail's publish, unpublish, move and
delete, a point dropping and adopting items, a new standard version
propagated to the points; and `reindex` rebuilds it all with progress."""
from __future__ import annotations

import io
import time

import pytest
from django.core.management import call_command
from django_tenants.utils import tenant_context

from search import service
from search.models import IndexChange, SearchDocument
from search.query import parse


@pytest.fixture
def network(shared_network):
    """One network for the module (conftest.shared_network): each test works at points
    or on items of its own and puts back what it drops."""
    return shared_network


def wait_indexed(point, seconds=60):
    deadline = time.monotonic() + seconds
    while IndexChange.objects.filter(point=point).exists():
        assert time.monotonic() < deadline, "the worker did not index the change"
        time.sleep(0.3)


def found(point, q, **params):
    answer = service.search(point, parse({"q": q, **params}), lambda slug, path: path, log=False)
    return [r["code"] for r in answer["results"]]


def guide(point, code):
    from cms.models import ItemGuidePage

    return ItemGuidePage.objects.get(code=code)


def test_publish_unpublish_move_and_delete_reach_search(network, celery_worker):
    point = network.township
    wait_indexed(point)
    code = "YM-MZJ-JF-001"  # 最低生活保障审核确认
    assert found(point, "低保")[:1] == [code]
    with tenant_context(point):
        page = guide(point, code)
        page.title = "低保申请（本镇）"
        page.save_revision().publish()
    wait_indexed(point)
    assert SearchDocument.objects.get(point=point, code=code).name == "低保申请（本镇）"
    assert found(point, "本镇")[:1] == [code]

    with tenant_context(point):
        guide(point, code).unpublish()
    wait_indexed(point)
    assert code not in found(point, "低保")
    assert not SearchDocument.objects.filter(point=point, code=code).exists()

    with tenant_context(point):
        page = guide(point, code)
        page.save_revision().publish()
        # Moved under a second index: the document follows the new URL.
        from cms.models import HomePage, ItemIndexPage

        other = HomePage.objects.get().add_child(instance=ItemIndexPage(title="便民专区", slug="zhuanqu"))
        guide(point, code).move(other, pos="last-child")
    wait_indexed(point)
    assert SearchDocument.objects.get(point=point, code=code).url == f"/zhuanqu/{code}/"

    with tenant_context(point):
        guide(point, code).delete()
    wait_indexed(point)
    assert code not in found(point, "低保")
    # Other points are untouched.
    assert SearchDocument.objects.filter(point=network.other_township, code=code).exists()


def test_dropping_and_adopting_items_at_a_point(network, celery_worker):
    from cms import adoption

    point = network.village
    wait_indexed(point)
    with tenant_context(point):
        adoption.drop(point, ["YM-MZJ-JF-001"])
    wait_indexed(point)
    assert "YM-MZJ-JF-001" not in found(point, "低保")
    with tenant_context(point):
        adoption.adopt(point, adoption.adoptable_versions(point).filter(item__code="YM-MZJ-JF-001"))
    wait_indexed(point)
    assert found(point, "低保")[:1] == ["YM-MZJ-JF-001"]


def test_a_new_standard_version_reaches_search_at_every_point(network, celery_worker, make_item):
    from standards.services import publish_content

    version = make_item(adopt_at=[network.village, network.other_village], name="旧名称的测试事项",
                        accept_tiers=["village"])
    for point in (network.village, network.other_village):
        wait_indexed(point)
        assert found(point, "旧名称的测试事项")[:1] == [version.code]
    publish_content({**version.content, "name": "新名称的便民事项"})
    deadline = time.monotonic() + 60
    while SearchDocument.objects.filter(code=version.code, name="新名称的便民事项").count() < 2:
        assert time.monotonic() < deadline, "propagation did not reach search"
        time.sleep(0.3)
    for point in (network.village, network.other_village):
        assert found(point, "新名称的便民事项")[:1] == [version.code]
        answer = service.search(point, parse({"q": "旧名称的测试事项"}), lambda slug, path: path, log=False)
        assert "旧名称的测试事项" not in [r["name"] for r in answer["results"]]


def test_reindex_rebuilds_every_document_from_live_guides_with_progress(network):
    point = network.park
    network.index()
    expected = set(SearchDocument.objects.filter(point=point).values_list("doc_id", flat=True))
    assert expected
    SearchDocument.objects.filter(point=point).update(name="走样的名称", terms_key="no-such-term-set")
    SearchDocument.objects.create(**{**SearchDocument.objects.filter(point=point).values().first(),
                                     "doc_id": f"{point.schema_name}:YM-XXX-XK-999", "code": "YM-XXX-XK-999"})
    out = io.StringIO()
    call_command("reindex", point.slug, stdout=out)
    assert f"[1/1] {point.slug}：{len(expected)} 个文档" in out.getvalue()
    assert set(SearchDocument.objects.filter(point=point).values_list("doc_id", flat=True)) == expected
    assert not SearchDocument.objects.filter(point=point, name="走样的名称").exists()
    assert found(point, "企业开办")  # weights rebuilt


def test_reindex_names_unknown_points():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="没有这些服务点"):
        call_command("reindex", "no-such-point", stdout=io.StringIO())
