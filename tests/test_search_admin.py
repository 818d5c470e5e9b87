"""What staff see of search in the admin: a point's editors read its search
statistics (last 30 days, what was not found); the county's central admins
edit the synonym table, which changes search at once; bad input is said in
Chinese and changes nothing."""
from __future__ import annotations

import html

import pytest

from search import service
from search.models import SynonymGroup
from search.query import parse


@pytest.fixture
def network(shared_network):
    """One network for the module (conftest.shared_network): each test makes
    users and data of its own names."""
    return shared_network


def body(response) -> str:
    return html.unescape(response.content.decode())


def test_editors_see_their_points_searches_and_zero_result_queries(network, client_at):
    network.index()
    point = network.village
    for q in ("低保", "低保", "量子纠缠", "量子纠缠", "量子纠缠", "xyzxyz"):
        service.search(point, parse({"q": q}), lambda s, p: p)
    service.search(network.other_village, parse({"q": "别处的无结果词"}), lambda s, p: p)
    service.record_click(point, "低保", "YM-MZJ-JF-001", 1)
    editor = network.user("editor", point, "editor")
    client = client_at(point)
    client.force_login(editor)
    response = client.get("/admin/search-stats/")
    assert response.status_code == 200
    text = body(response)
    assert "共 6 次搜索，其中 4 次没有结果（66.7%），结果被点击 1 次" in text, text[text.find("nice-padding"):][:600]
    empty = text[text.index("没有找到结果的搜索词"):text.index("搜索最多的词")]
    assert empty.index("量子纠缠") < empty.index("xyzxyz")
    assert "<td>3</td>" in empty
    assert "别处的无结果词" not in text  # another point's log
    assert "最低生活保障审核确认" in text[text.index("点击最多的事项"):]
    assert text.count("<rect ") >= 30  # a bar per day


def test_clerks_and_other_points_staff_may_not_read_the_statistics(network, client_at):
    clerk = network.user("clerk", network.village, "clerk")
    other = network.user("other-editor", network.other_village, "editor")
    for user in (clerk, other):
        client = client_at(network.village)
        client.force_login(user)
        assert client.get("/admin/search-stats/").status_code in (302, 403)


def test_central_admins_edit_synonyms_and_search_follows_at_once(network, client_at):
    network.index()
    central = network.user("central", network.county, "central_admin")
    client = client_at(network.county)
    client.force_login(central)
    page = client.get("/admin/search-synonyms/")
    assert page.status_code == 200
    original = SynonymGroup.objects.count()
    # The cell's shared groups are shown beside the county's own (empty) table.
    assert original > 50 and "身份证 居民身份证" in body(page)

    def first(q):
        return [r["code"] for r in service.search(network.county, parse({"q": q}), lambda s, p: p,
                                                  log=False)["results"]][:1]

    assert first("龙门阵证件") != ["YM-MZJ-QR-001"]
    # An admin adds a group that links a word to 结婚登记.
    response = client.post("/admin/search-synonyms/", {"groups": "龙门阵证件 结婚登记"})
    assert response.status_code == 302, body(response)[-2000:]
    assert SynonymGroup.objects.count() == original + 1
    assert SynonymGroup.objects.filter(words__contains=["龙门阵证件", "结婚登记"],
                                       authority=network.county.region_code[:6]).exists()
    assert first("龙门阵证件") == ["YM-MZJ-QR-001"]
    assert "龙门阵证件 结婚登记" in body(client.get("/admin/search-synonyms/"))


def test_bad_synonym_lines_are_reported_by_number_and_nothing_changes(network, client_at):
    central = network.user("central2", network.county, "central_admin")
    client = client_at(network.county)
    client.force_login(central)
    before = list(SynonymGroup.objects.values_list("words", flat=True))
    response = client.post("/admin/search-synonyms/", {"groups": "身份证 居民身份证\n孤词\n户口本 身份证\n好 a"})
    assert response.status_code == 400
    text = body(response)
    assert "没有保存" in text
    assert "第 2 行只有一个词“孤词”" in text
    assert "“身份证”同时出现在第 1 行和第 3 行" in text
    assert "第 4 行的“好”不是 2～20 个汉字" in text
    assert list(SynonymGroup.objects.values_list("words", flat=True)) == before


def test_only_the_countys_central_admins_edit_synonyms(network, client_at):
    admin = network.user("town-admin", network.township, "admin")
    client = client_at(network.township)
    client.force_login(admin)
    assert client.get("/admin/search-synonyms/").status_code in (302, 403)
    assert client.post("/admin/search-synonyms/", {"groups": "甲乙 丙丁"}).status_code in (302, 403)
    assert not SynonymGroup.objects.filter(words__contains=["甲乙"]).exists()


def test_old_searches_are_pruned_and_recent_ones_kept(network):
    from datetime import timedelta

    from django.utils import timezone

    from search.models import SearchLog
    from search.stats import prune

    old = SearchLog.objects.create(point=network.village, query="去年的搜索", scope="point", total=1,
                                   backend="postgres")
    SearchLog.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=401))
    recent = SearchLog.objects.create(point=network.village, query="今天的搜索", scope="point", total=1,
                                      backend="postgres")
    assert prune(days=400) >= 1
    assert not SearchLog.objects.filter(pk=old.pk).exists()
    assert SearchLog.objects.filter(pk=recent.pk).exists()
