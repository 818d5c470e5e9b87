"""What a citizen reads on a point's own host: home, theme and department
listings, the 办事指南 with its local details, "where else" (就近办), the QR code,
large text (适老化), and the public host's network directory."""
from __future__ import annotations

import html
import re
import secrets

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import tenant_context

from tenants.models import PointStatus, ServicePoint
from tests.conftest import Network

MATERIALS = [
    {"name": "居民身份证", "form": "原件", "copies": 1, "source": "申请人提供", "required": True,
     "note": "核验后当场退还"},
    {"name": "户口簿首页复印件", "form": "复印件", "copies": 2, "source": "申请人提供", "required": True,
     "note": ""},
    {"name": "低保证明", "form": "电子", "copies": 1, "source": "部门共享", "required": False,
     "note": "由民政部门共享"},
]
ALL_TIERS = ["county", "township", "village"]


@pytest.fixture
def network(shared_network):
    """One network for the module (conftest.shared_network): each test reads the
    items it makes itself; the one that moves and suspends points makes its own."""
    return shared_network


def text(response) -> str:
    assert response.status_code == 200, response.status_code
    return html.unescape(response.content.decode())


def section(body: str, heading_id: str) -> str:
    """The HTML of the <section> whose heading has this id."""
    start = body.index(f'id="{heading_id}"')
    return body[start:body.index("</section>", start)]


def adopt(version, *points):
    from cms.adoption import adopt as adopt_at

    for point in points:
        with tenant_context(point):
            adopt_at(point, [version])


def local_edit(point, code, **values):
    from cms.models import ItemGuidePage

    with tenant_context(point):
        page = ItemGuidePage.objects.get(code=code)
        for key, value in values.items():
            setattr(page, key, value)
        page.save_revision().publish()


def place(point, lat, lng):
    ServicePoint.objects.filter(pk=point.pk).update(latitude=lat, longitude=lng)


@pytest.fixture
def village_item(make_item, network):
    """An item a village may accept, with originals, copies and shared materials."""
    version = make_item(accept_tiers=ALL_TIERS, decide_tier="county", statutory_days=20, promised_days=10,
                        visits=1, online="网上预审", delivery=["窗口领取", "免费邮寄"], materials=MATERIALS,
                        themes=["救助帮扶"], department="民政局")
    adopt(version, network.village)
    return version


def test_village_guide_shows_materials_days_and_local_details(network, client_at, village_item):
    code = village_item.code
    local_edit(network.village, code, promised_days=3, window="综合受理窗口 3 号",
               implementation_code="430100-LOCAL-001")
    body = text(client_at(network.village).get(f"/items/{code}/"))

    assert f"<h1>{village_item.name}</h1>" in body
    assert "430100-LOCAL-001" in body
    # Materials as a table with column headers, each row its form, copies and source.
    table = body[body.index('<table class="materials"'):body.index("</table>")]
    for header in ("材料名称", "是否必需", "材料形式", "份数", "来源"):
        assert f'<th scope="col" role="columnheader">{header}</th>' in table
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", table[table.index("<tbody"):], flags=re.S)
    cells = [re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, flags=re.S) for row in rows]
    assert [(re.sub("<.*", "", c[0], flags=re.S), c[2], c[3], c[4]) for c in cells] == [
        ("居民身份证", "原件", "1", "申请人提供"),
        ("户口簿首页复印件", "复印件", "2", "申请人提供"),
        ("低保证明", "电子", "1", "部门共享"),
    ]
    assert "非必需" in cells[2][1] and cells[0][1] == "必需"
    # Statutory against the point's own promised days (3, not the standard's 10).
    limits = section(body, "time-limit")
    assert re.search(r'class="statutory">20 <small>个工作日', limits)
    assert re.search(r'class="promised">3 <small>个工作日', limits)
    assert "本点承诺时限" in limits and "承诺件" in limits and "比法定时限少 17 个工作日" in limits
    # The point's window, and its own address and hours where it set none.
    where = section(body, "where-when")
    assert "综合受理窗口 3 号" in where
    assert network.village.address in where and network.village.hours in where
    # One visit, and why.
    assert "到窗口核验纸质原件" in section(body, "visits")


def test_guide_code_is_case_insensitive_and_unknown_things_are_404(network, client_at, village_item):
    at_village = client_at(network.village)
    assert village_item.name in text(at_village.get(f"/items/{village_item.code.lower()}/"))
    assert at_village.get("/items/YM-NOT-XX-999/").status_code == 404
    assert at_village.get("/themes/没有这个主题/").status_code == 404
    assert at_village.get("/departments/没有这个部门/").status_code == 404
    # An item another point offers is not a guide here.
    other = client_at(network.other_village)
    assert other.get(f"/items/{village_item.code}/").status_code == 404


def test_instant_item_is_marked_and_zero_days_read_as_immediate(network, client_at, make_item):
    version = make_item(accept_tiers=ALL_TIERS, decide_tier="county", statutory_days=5, promised_days=0,
                        visits=0, online="全程网办", delivery=["免费邮寄", "电子送达"], materials=MATERIALS[2:],
                        themes=["殡葬"], online_url="https://zwfw.example.gov.cn/apply/1")
    adopt(version, network.village)
    body = text(client_at(network.village).get(f"/items/{version.code}/"))
    assert "即办件" in body
    for badge in ("零跑腿", "全程网办", "即办"):
        assert f">{badge}</span>" in body
    assert 'href="https://zwfw.example.gov.cn/apply/1"' in body
    assert "需到现场的原因" not in body


def test_theme_listing_lists_only_this_points_guides_of_the_theme(network, client_at, make_item):
    mine = make_item(accept_tiers=ALL_TIERS, decide_tier="county", themes=["殡葬"], name="本村殡葬事项")
    theirs = make_item(accept_tiers=ALL_TIERS, decide_tier="county", themes=["殡葬"], name="邻村殡葬事项")
    other_theme = make_item(accept_tiers=ALL_TIERS, decide_tier="county", themes=["退役军人"], name="本村退役事项")
    adopt(mine, network.village)
    adopt(other_theme, network.village)
    adopt(theirs, network.other_village)

    body = text(client_at(network.village).get("/themes/殡葬/"))
    assert "<h1>殡葬</h1>" in body
    assert f'href="/items/{mine.code}/"' in body and "本村殡葬事项" in body
    assert "邻村殡葬事项" not in body and "本村退役事项" not in body

    home = text(client_at(network.village).get("/"))
    # Its tile counts what the listing lists (points made later adopt earlier tests' items too).
    listed = body.count('<a class="name" href="/items/')
    person = section(home, "person-heading")
    assert f'<a href="/themes/%E6%AE%A1%E8%91%AC/"><span>殡葬</span> <span class="count">{listed} 项' in person


def test_department_listing_and_home(network, client_at, village_item):
    at_village = client_at(network.village)
    body = text(at_village.get("/departments/民政局/"))
    assert f'href="/items/{village_item.code}/"' in body
    assert "<h1>民政局</h1>" in body

    home = text(at_village.get("/"))
    # Search box, properly labelled, to /search/.
    assert '<form method="get" action="/search/" role="search"' in home
    assert '<label for="q">' in home and 'id="q" name="q"' in home
    # Life events and enterprise stages, departments, badges and the point's own facts.
    assert "个人办事 · 按人生事件" in home and "按部门" in home
    assert 'href="/departments/%E6%B0%91%E6%94%BF%E5%B1%80/"' in home
    assert "最多跑一次" in home
    for fact in (network.village.address, network.village.hours, f'href="tel:{network.village.phone}"'):
        assert fact in home


def test_listings_read_the_guides_in_one_query(network):
    from cms import listings

    with tenant_context(network.county):  # a county point has ~200 guides
        with CaptureQueriesContext(connection) as queries:
            home = listings.home_listing()
            listings.theme_listing("企业开办")
            every = listings.all_listing()
        assert home["guide_count"] > 100 and every["guide_count"] == home["guide_count"]
        selects = [q["sql"] for q in queries if not q["sql"].startswith("SET search_path")]
        assert len(selects) == 3, [sql[:120] for sql in selects]


def test_where_else_lists_adopting_points_of_the_county_nearest_first(client_at, make_item):
    network = Network()  # its own: it moves points and suspends one
    version = make_item(accept_tiers=ALL_TIERS, decide_tier="county")
    far_code = str(900000 + secrets.randbelow(99999))
    while ServicePoint.objects.filter(region_code__startswith=far_code).exists():
        far_code = str(900000 + secrets.randbelow(99999))
    stranger = network.make("far", "county", far_code + "000000")
    adopt(version, network.village, network.township, network.other_village, network.county, stranger,
          network.other_township)
    place(network.village, 28.200, 112.600)
    place(network.township, 28.210, 112.600)   # ~1.1 km
    place(network.county, 28.300, 112.600)     # ~11 km
    place(network.other_village, 28.400, 112.600)  # ~22 km
    place(stranger, 28.201, 112.600)  # nearest of all, but another county
    ServicePoint.objects.filter(pk=network.other_township.pk).update(status=PointStatus.SUSPENDED)

    def listed(response):
        part = section(text(response), "where-else")
        return re.findall(r'<a href="http://([^./]+)\.localhost/items/' + version.code + '/">', part), part

    at_village = client_at(network.village)
    hosts, part = listed(at_village.get(f"/items/{version.code}/"))
    tag = network.tag
    assert hosts == [f"{tag}-town", f"{tag}-county", f"{tag}-village2"]
    assert "约 1.1 公里" in part and "约 22.2 公里" in part
    assert network.township.address in part and f'href="tel:{network.township.phone}"' in part

    # From the citizen's own position: the other village is now nearest.
    hosts, part = listed(at_village.get(f"/items/{version.code}/?lat=28.41&lng=112.6"))
    assert hosts == [f"{tag}-village2", f"{tag}-county", f"{tag}-town"]
    assert "按离您的距离排序" in part
    # Nonsense coordinates fall back to the point's own.
    hosts, _ = listed(at_village.get(f"/items/{version.code}/?lat=999&lng=abc"))
    assert hosts[0] == f"{tag}-town"


def test_qr_code_is_an_svg_of_the_guide_url(network, client_at, village_item):
    import segno

    from cms.guide_view import qr_svg

    response = client_at(network.village).get(f"/items/{village_item.code}/qr.svg")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/svg+xml"
    svg = response.content
    assert svg.startswith(b"<svg") and len(svg) > 1000
    url = f"http://{network.village.primary_host}/items/{village_item.code}/"
    title = f"{village_item.name} 办事指南二维码"
    assert svg == qr_svg(url, title=title)
    assert svg != qr_svg(f"http://{network.other_village.primary_host}/items/{village_item.code}/", title=title)
    assert segno.make(url, error="m").designator  # the text fits a normal QR code

    guide = text(client_at(network.village).get(f"/items/{village_item.code}/"))
    assert f'<img src="/items/{village_item.code}/qr.svg"' in guide
    printed = text(client_at(network.village).get(f"/items/{village_item.code}/print/"))
    assert f'<img src="/items/{village_item.code}/qr.svg"' in printed
    assert "受理条件" in printed and "申请材料" in printed and "居民身份证" in printed


def test_large_text_persists_across_pages_until_switched_off(network, client_at, village_item):
    at_village = client_at(network.village)
    assert 'class="large-text' not in text(at_village.get("/"))

    switched = at_village.get("/text-size/", {"size": "large", "next": "/items/"})
    assert switched.status_code == 302 and switched["Location"] == "/items/"
    for path in ("/", "/items/", f"/items/{village_item.code}/", "/themes/救助帮扶/"):
        body = text(at_village.get(path))
        assert '<html lang="zh-Hans" class="large-text' in body, path
        assert 'aria-pressed="true">大字模式' in body

    # Only at this point: another point's host has its own cookie.
    assert 'class="large-text' not in text(client_at(network.other_village).get("/"))

    off = at_village.post("/text-size/", {"size": "normal", "next": "https://evil.example.com/"})
    assert off.status_code == 302 and off["Location"] == "/"  # never sent off-site
    assert 'class="large-text' not in text(at_village.get("/items/"))


def test_public_host_lists_every_point_by_tier(network, client_at):
    body = text(client_at(None).get("/"))
    headings = {label: body.index(f">{label}（") for label in ("县级", "乡镇（街道）", "村（社区）", "园区")}

    def tier_of(point):
        link = f'<a href="http://{point.primary_host}/">{point.name}</a>'
        assert link in body, point.name
        position = body.index(link)
        return max((label for label, at in headings.items() if at < position), key=headings.get)

    assert tier_of(network.county) == "县级"
    assert tier_of(network.township) == tier_of(network.other_township) == "乡镇（街道）"
    assert tier_of(network.village) == tier_of(network.other_village) == "村（社区）"
    assert tier_of(network.park) == "园区"
    entry = body[body.index(f'<a href="http://{network.park.primary_host}/">'):]
    entry = entry[:entry.index("</li>")]
    for fact in (network.park.address, network.park.hours, f'href="tel:{network.park.phone}"'):
        assert fact in entry


def test_editor_sees_the_pinned_standard_read_only_beside_the_local_fields(network, client_at, village_item):
    from cms.models import ItemGuidePage

    editor = network.user("guide-editor", network.village, "editor")
    at_village = client_at(network.village)
    assert at_village.login(username=editor.username, password="pass-Word-2026")
    with tenant_context(network.village):
        page_id = ItemGuidePage.objects.get(code=village_item.code).pk
    body = text(at_village.get(f"/admin/pages/{page_id}/edit/"))
    summary = body[body.index("以下内容由县级统一发布"):]
    summary = summary[:summary.index("</fieldset>")]
    assert f"{village_item.code}，第 1 版" in body
    assert "20 / 10 个工作日" in summary
    assert "居民身份证（原件，1 份，申请人提供）" in summary and "低保证明（电子，1 份，部门共享，非必需）" in summary
    assert 'name="promised_days"' in body and 'name="window"' in body  # the local fields stay editable
