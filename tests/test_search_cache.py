"""What makes search fast must never make it stale (issue 16): with the
result cache on, a guide renamed or unpublished and a synonym group added show
in the very next search of the same words; the analysis of a query is
remembered only with the vocabulary it was made with; and the network table
PostgreSQL's network search reads (kept by triggers) always equals the
documents it stands for, through adoption, dropping and deletion."""
from __future__ import annotations

import threading
import time

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import tenant_context

from search import analysis, service, synonyms
from search.query import parse

CODE = "YM-MZJ-JF-001"  # 最低生活保障审核确认 (低保)
KEY = "county_code, code, terms_key, department, themes, targets, visits, online"


@pytest.fixture
def network(shared_network):
    shared_network.index()
    return shared_network


@pytest.fixture
def cache_on(settings):
    settings.SEARCH_RESULT_CACHE_SECONDS = 60


def search(point, q, **params):
    return service.search(point, parse({"q": q, **params}), lambda slug, path: path, log=False)


def first(point, q, **params):
    results = search(point, q, **params)["results"]
    return (results[0]["code"], results[0]["name"]) if results else None


def guide(code):
    from cms.models import ItemGuidePage

    return ItemGuidePage.objects.get(code=code)


def answered_from_cache(point, q) -> bool:
    """The same search twice, the second without asking the database, unless the
    county's counter moved in between: the session's worker may be storing this
    network's documents meanwhile (and bumps again 2 s after an Elasticsearch
    write), and a moved counter rightly makes the next search ask again."""
    from search.results_cache import _cache, _counter_key

    def counter():
        return _cache().get(_counter_key(point.county_code), 0)

    for _ in range(30):
        before = counter()
        first(point, q)
        first(point, q)  # stored at its second sight (the doorkeeper)
        with CaptureQueriesContext(connection) as asked:
            assert first(point, q)[0] == CODE
        if counter() == before:
            # The search statement runs as a prepared statement named search_find_… (search/backends/prepared.py).
            return not [s for s in asked.captured_queries if "EXECUTE search_find_" in s["sql"]]
        time.sleep(0.5)
    raise AssertionError("the county's result-cache counter kept moving for 15 s")


def test_an_answer_is_stored_only_when_its_query_is_asked_again(network, cache_on):
    """A query asked once (a typo, a phrasing nobody repeats) leaves nothing in
    Redis; asked again, its answer is stored, and the third time it is read
    from there, the same answer."""
    from search import results_cache

    point = network.other_township
    results_cache.forget_seen()
    redis = results_cache._cache()._cache.get_client()

    def entries() -> set:
        return set(redis.keys("*search:answer:*"))

    before = entries()
    once = search(point, "低保怎么申请门槛")
    assert entries() == before
    again = search(point, "低保怎么申请门槛")
    assert len(entries() - before) == 1
    assert answered_from_cache(point, "低保怎么申请门槛")
    assert search(point, "低保怎么申请门槛")["results"] == once["results"] == again["results"]


def network_entries_match_documents() -> bool:
    with connection.cursor() as cursor:
        cursor.execute(f"""
            (SELECT {KEY}, doc_id, n FROM search_networkentry
             EXCEPT SELECT {KEY}, min(doc_id), count(*) FROM search_searchdocument GROUP BY {KEY})
            UNION ALL
            (SELECT {KEY}, min(doc_id), count(*) FROM search_searchdocument GROUP BY {KEY}
             EXCEPT SELECT {KEY}, doc_id, n FROM search_networkentry)""")
        return cursor.fetchall() == []


def test_a_renamed_or_unpublished_guide_shows_in_the_next_search(network, cache_on):
    point = network.township
    assert first(point, "低保")[0] == CODE
    assert answered_from_cache(point, "低保")

    with tenant_context(point):
        page = guide(CODE)
        page.title = "低保申请（本镇窗口）"
        page.save_revision().publish()
    network.index()  # the outbox, applied here rather than by a worker
    assert first(point, "低保") == (CODE, "低保申请（本镇窗口）")

    with tenant_context(point):
        guide(CODE).unpublish()
    network.index()
    assert CODE not in [r["code"] for r in search(point, "低保")["results"]]
    with tenant_context(point):
        page = guide(CODE)
        page.title = "最低生活保障审核确认"
        page.save_revision().publish()
    network.index()
    assert first(point, "低保") == (CODE, "最低生活保障审核确认")


def test_a_synonym_group_added_shows_in_the_next_search(network, cache_on):
    from standards import authority

    point = network.county
    owner = authority.of_point(point)
    before = synonyms.as_text(owner)
    assert search(point, "保命钱", scope="network")["total"] == 0
    try:
        synonyms.replace_all(f"{before}\n保命钱 低保", owner)
        assert first(point, "保命钱", scope="network")[0] == CODE
    finally:
        synonyms.replace_all(before, owner)
    assert search(point, "保命钱", scope="network")["total"] == 0


def test_an_analysis_is_remembered_only_with_its_vocabulary(network):
    vocab = analysis.current_vocabulary()
    once = analysis.analyse_query(vocab, "身份證补办", ("",))
    assert analysis.analyse_query(vocab, "身份證补办", ("",)) is once
    assert "w:身份证" in once.terms  # traditional characters converted before the terms
    analysis.invalidate()
    synonyms.replace_all(synonyms.as_text(""), "")  # saved again: a new stamp, a new vocabulary
    assert analysis.current_vocabulary() is not vocab


def test_searches_go_on_while_a_changed_catalogue_s_vocabulary_is_built(network, monkeypatch):
    """The thread that notices a change builds the new vocabulary (seconds of
    CPU); a search in another thread meanwhile answers with the one before,
    not after the build. Indexing's call waits, and gets the new one."""
    from standards import authority

    point = network.county
    owner = authority.of_point(point)
    before_text = synonyms.as_text(owner)
    old = analysis.current_vocabulary()
    building, finish = threading.Event(), threading.Event()
    real_build = analysis.build_vocabulary

    def slow_build(*args):  # the fault: a build that lasts until the other thread has searched
        building.set()
        finish.wait(60)
        return real_build(*args)

    seen = {}

    def citizen():
        from django.db import connections

        building.wait(60)
        try:
            seen["answer"] = search(point, "低保", scope="network")
            seen["vocabulary"] = analysis.current_vocabulary(wait=False)
            seen["during_build"] = not finish.is_set()
        finally:
            finish.set()
            connections.close_all()  # this thread's own connection

    other = threading.Thread(target=citizen)
    other.start()
    monkeypatch.setattr(analysis, "build_vocabulary", slow_build)
    try:
        synonyms.replace_all(f"{before_text}\n保命钱 低保", owner)  # a new stamp: the next call builds
        new = analysis.current_vocabulary()
    finally:
        finish.set()
        other.join(60)
        synonyms.replace_all(before_text, owner)
    assert seen["during_build"], "the other thread's search waited for the build"
    assert seen["vocabulary"] is old
    assert seen["answer"]["results"][0]["code"] == CODE
    assert new is not old and "保命钱" in new.synonym_tables[owner]


def test_the_search_that_notices_a_change_answers_at_once_and_the_build_runs_beside_it(network, monkeypatch):
    """A web request's thread (no transaction) meets a catalogue changed by
    another process: its search starts the build in a thread of its own and
    answers with the vocabulary before (the new synonym not yet known); once
    the build is done, the same search finds the item through the synonym."""
    from search.models import SynonymGroup
    from standards import authority

    point = network.county
    owner = authority.of_point(point)
    building, finish = threading.Event(), threading.Event()
    real_build = analysis.build_vocabulary

    def slow_build(*args):  # the fault: a build that lasts until the request has been answered
        building.set()
        finish.wait(60)
        return real_build(*args)

    monkeypatch.setattr(analysis, "CHECK_SECONDS", 0.0)  # ask for the stamp at every search
    seen = {}

    def request():
        from django.db import connections

        group = None
        try:
            analysis.current_vocabulary(wait=False)
            monkeypatch.setattr(analysis, "build_vocabulary", slow_build)
            # Committed from this thread without this process's invalidate(): as another
            # worker's edit reaches this one, through the stamp.
            group = SynonymGroup.objects.create(words=["保命钱", "低保"], authority=owner)
            seen["during"] = search(point, "保命钱", scope="network")["total"]
            seen["built_beside"] = building.wait(30) and not finish.is_set()
            finish.set()
            analysis.current_vocabulary()  # waits for the build the search started
            seen["after"] = first(point, "保命钱", scope="network")
        finally:
            finish.set()
            if group is not None:
                group.delete()
            connections.close_all()

    thread = threading.Thread(target=request)
    thread.start()
    thread.join(120)
    analysis.invalidate()  # the group is gone again
    assert seen["during"] == 0, "answered with the vocabulary before, which has no 保命钱"
    assert seen["built_beside"], "the build ran in another thread while the search was answered"
    assert seen["after"] and seen["after"][0] == CODE


def test_network_entries_follow_adoption_dropping_and_deletion(network):
    from cms import adoption

    village = network.village
    assert network_entries_match_documents()
    with tenant_context(village):
        adoption.drop(village, [CODE])
    network.index()
    assert network_entries_match_documents()
    hit = next(r for r in search(village, "低保", scope="network")["results"] if r["code"] == CODE)
    assert village.slug not in [p["slug"] for p in hit["nearest"]]
    with tenant_context(village):
        adoption.adopt(village, adoption.adoptable_versions(village).filter(item__code=CODE))
    network.index()
    assert network_entries_match_documents()
    extra = network.make("cachepark", "park", network.county.region_code[:6] + "401000", "county")
    from search.indexing import apply_changes

    apply_changes(extra.pk)
    assert network_entries_match_documents()
    from tenants.deletion import delete_point

    delete_point(extra.slug, log=lambda line: None)
    assert network_entries_match_documents()


def test_the_search_log_written_in_batches_reaches_the_statistics(network, settings, client_at):
    import time

    from search.models import SearchLog

    settings.SEARCH_LOG_FLUSH_SECONDS = 0.2
    point = network.other_township
    client = client_at(point)
    for q in ("低保批次一", "低保批次二", "低保批次三"):
        assert client.get("/api/search", {"q": q}).status_code == 200
    deadline = time.monotonic() + 10
    while SearchLog.objects.filter(point=point, query__startswith="低保批次").count() < 3:
        assert time.monotonic() < deadline, "the buffered search log was not written"
        time.sleep(0.1)
    settings.SEARCH_LOG_FLUSH_SECONDS = 0
    time.sleep(0.5)  # the flushing thread sees it is off, and goes with its connection
