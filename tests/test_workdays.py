"""The working-day clock (issue 12): the official schedule from chinese-calendar
(holidays and 调休 make-up workdays); a year the package does not cover counts
Monday to Friday until central admins enter its holidays in 工作日历, and
supervisors and central admins are told the year is missing until it is
confirmed. Dates are passed explicitly (never today's)."""
from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

D = dt.date
TODAY = D(2026, 12, 1)  # a day the package covers, with its next year (2027) not covered
WARNING = ("年的法定节假日安排尚未录入：办件期限暂按周一至周五计算，"
           "请中心管理员在「工作日历」中录入国务院办公厅公布的安排。")


@pytest.fixture(scope="module")
def network(django_db_setup, django_db_blocker):
    from tests.conftest import Network

    with django_db_blocker.unblock():
        return Network()


@pytest.fixture
def calendar_restored():
    """The calendar is the whole cell's: whatever a test enters or confirms goes again afterwards."""
    from cases.models import WorkdayEntry, WorkdayYear

    entries, years = set(WorkdayEntry.objects.values_list("pk", flat=True)), set(
        WorkdayYear.objects.values_list("pk", flat=True))
    yield
    WorkdayEntry.objects.exclude(pk__in=entries).delete()  # signals clear cases.workdays' cache
    WorkdayYear.objects.exclude(pk__in=years).delete()


@pytest.fixture
def central(network, client_at):
    import secrets

    user = network.user(f"central-{secrets.token_hex(3)}", network.county, "central_admin")
    client = client_at(network.county)
    client.force_login(user)
    return user, client


def test_the_official_schedule_counts_holidays_and_make_up_workdays():
    from cases import workdays

    assert not workdays.is_workday(D(2026, 10, 1))  # 国庆节, a Thursday
    assert workdays.is_workday(D(2026, 10, 10))  # a Saturday worked for the National Day holiday (调休)
    assert not workdays.is_workday(D(2026, 10, 11))  # the Sunday after it
    # From the eve of the holiday, one working day is the first day back.
    assert workdays.add_working_days(D(2026, 9, 30), 1) == D(2026, 10, 8)
    # 10-08, 10-09 (Thu, Fri), 10-10 (the make-up Saturday), then Monday 10-12.
    assert workdays.add_working_days(D(2026, 9, 30), 4) == D(2026, 10, 12)
    assert workdays.working_days_between(D(2026, 9, 30), D(2026, 10, 10)) == 3


def test_a_year_the_package_lacks_counts_mondays_to_fridays_until_an_admin_enters_it(network, calendar_restored):
    from cases import calendar_admin, workdays

    admin = network.user("central-svc", network.county, "central_admin")
    assert not workdays.package_covers(2027)
    assert workdays.missing_years(TODAY) == [2027]
    assert workdays.is_workday(D(2027, 10, 1))  # a Friday, no schedule yet
    assert workdays.add_working_days(D(2027, 9, 30), 1) == D(2027, 10, 1)

    calendar_admin.add_entry(admin, network.county, D(2027, 10, 1), False, "国庆节", today=TODAY)
    assert not workdays.is_workday(D(2027, 10, 1))
    assert workdays.add_working_days(D(2027, 9, 30), 1) == D(2027, 10, 4)
    calendar_admin.add_entry(admin, network.county, D(2027, 10, 9), True, "国庆节调休", today=TODAY)
    assert workdays.is_workday(D(2027, 10, 9))  # a Saturday worked
    assert workdays.add_working_days(D(2027, 10, 8), 1) == D(2027, 10, 9)

    assert workdays.missing_years(TODAY) == [2027]  # entries alone do not say the year is complete
    calendar_admin.confirm_year(admin, network.county, 2027, today=TODAY)
    assert workdays.missing_years(TODAY) == []


def test_central_admins_enter_and_remove_days_through_the_screen(network, central, calendar_restored):
    from cases import workdays
    from cases.models import WorkdayEntry

    user, client = central
    page = client.get("/admin/workdays/", {"year": 2027})
    assert page.status_code == 200 and "工作日历" in page.content.decode()
    response = client.post("/admin/workdays/", {"action": "add", "day": "2027-10-01", "kind": "rest",
                                                "note": "国庆节"}, follow=True)
    assert "已将 2027-10-01 录入为休息日" in response.content.decode()
    assert "国庆节" in client.get("/admin/workdays/", {"year": 2027}).content.decode()
    entry = WorkdayEntry.objects.get(day=D(2027, 10, 1))
    assert entry.created_by == user and not entry.is_workday
    assert workdays.add_working_days(D(2027, 9, 30), 1) == D(2027, 10, 4)

    client.post("/admin/workdays/", {"action": "remove", "entry": entry.pk, "year": 2027})
    assert not WorkdayEntry.objects.filter(day=D(2027, 10, 1)).exists()
    assert workdays.add_working_days(D(2027, 9, 30), 1) == D(2027, 10, 1)


def test_bad_input_is_refused_in_chinese_and_changes_nothing(network, central, calendar_restored):
    from cases.models import WorkdayEntry, WorkdayYear

    user, client = central
    client.post("/admin/workdays/", {"action": "add", "day": "2027-10-01", "kind": "rest", "note": "国庆节"})
    before = list(WorkdayEntry.objects.values_list("pk", "day", "is_workday", "note"))

    def refused(data) -> str:
        return client.post("/admin/workdays/", data, follow=True).content.decode()

    assert "已录入为休息日" in refused({"action": "add", "day": "2027-10-01", "kind": "workday"})
    assert "超出可录入的范围" in refused({"action": "add", "day": "1999-10-01", "kind": "rest"})
    assert "超出可录入的范围" in refused({"action": "add", "day": "2999-10-01", "kind": "rest"})
    assert "请按 2027-10-01 的格式填写日期" in refused({"action": "add", "day": "10/01/2027", "kind": "rest"})
    assert "请选择工作日或休息日" in refused({"action": "add", "day": "2027-10-02", "kind": "holiday"})
    assert "不能超过" in refused({"action": "add", "day": "2027-10-02", "kind": "rest", "note": "节" * 101})
    assert "没有这条工作日历记录" in refused({"action": "remove", "entry": "0"})
    assert "已包含在日历数据中" in refused({"action": "confirm", "year": "2026"})
    assert "还没有录入任何节假日" in refused({"action": "confirm", "year": "2028"})
    assert list(WorkdayEntry.objects.values_list("pk", "day", "is_workday", "note")) == before
    assert not WorkdayYear.objects.filter(year__in=[2026, 2028]).exists()


def test_only_the_countys_central_admins_edit_the_calendar(network, client_at, calendar_restored):
    from cases.models import WorkdayEntry

    for point, role in [(network.county, "admin"), (network.county, "supervisor"), (network.township, "admin")]:
        user = network.user(f"cal-{role}-{point.tier}", point, role)
        client = client_at(point)
        client.force_login(user)
        assert client.get("/admin/workdays/").status_code == 403
        assert client.post("/admin/workdays/", {"action": "add", "day": "2027-10-01", "kind": "rest"}
                           ).status_code == 403
    assert not WorkdayEntry.objects.filter(day=D(2027, 10, 1)).exists()


def test_the_dashboard_warns_supervisors_and_central_admins_until_the_year_is_confirmed(
        network, central, client_at, calendar_restored):
    from cases import workdays

    missing = workdays.missing_years(timezone.localdate())  # what the dashboard counts from
    assert missing, "chinese-calendar covers next year: no year to warn about"
    expected = "、".join(map(str, missing)) + " " + WARNING
    user, client = central
    supervisor = client_at(network.village)
    supervisor.force_login(network.user("sup-village", network.township, "supervisor"))  # from above
    clerk = client_at(network.village)
    clerk.force_login(network.user("clerk-village", network.village, "clerk"))
    assert expected in client.get("/admin/").content.decode()
    assert expected in supervisor.get("/admin/").content.decode()
    assert WARNING not in clerk.get("/admin/").content.decode()

    for year in missing:
        client.post("/admin/workdays/", {"action": "add", "day": f"{year}-01-01", "kind": "rest", "note": "元旦"})
        client.post("/admin/workdays/", {"action": "confirm", "year": year})
    assert workdays.missing_years(timezone.localdate()) == []
    assert WARNING not in client.get("/admin/").content.decode()
    assert WARNING not in supervisor.get("/admin/").content.decode()
