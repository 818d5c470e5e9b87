"""好差评 (issue 13): the applicant rates a closed case once — by the receipt's
QR on the network's host or at the window's tablet; a grade of 1–2 opens a
follow-up for the point's supervisors due in 15 working days, whose reply the
applicant then reads on the rating page."""
from __future__ import annotations

import pytest

ITEM = "YM-MZJ-GG-002"
ID = "11010519491231002X"


@pytest.fixture(scope="module")
def network(shared_network):
    return shared_network


_made: dict = {}


@pytest.fixture
def staff(network):
    from cases.models import DeskAssignment
    from cases.services import Actor

    if "staff" not in _made:
        class Staff:
            clerk = Actor(network.user("g-clerk", network.county, "clerk"), network.county, "10.2.0.1")
            supervisor = network.user("g-sup", network.county, "supervisor")
            village_supervisor = network.user("g-vsup", network.other_village, "supervisor")

        DeskAssignment.objects.get_or_create(point=network.county, user=Staff.clerk.user, department="民政局")
        _made["staff"] = Staff
    return _made["staff"]


def closed_case(staff, *, close=True, phone="13812345678"):
    from cases import services

    case = services.open_case(staff.clerk, services.Intake(
        item_code=ITEM, applicant=services.Applicant(kind="person", name="王秀英", id_number=ID, phone=phone),
        materials=[services.MaterialCheck(name, present=True) for name in ("居民身份证", "数字相片")]))
    services.accept(case.pk, staff.clerk)
    services.decide(case.pk, staff.clerk, granted=True, text="准予")
    services.deliver(case.pk, staff.clerk, method="window")
    return services.close(case.pk, staff.clerk) if close else case


def test_the_receipt_qr_rates_a_closed_case_once(staff, client_at):
    from cases import ratings
    from cases.models import FollowUp, Rating

    web = client_at(None)
    open_case = closed_case(staff, close=False)
    early = web.get(f"/rate/{ratings.token_for(open_case)}/")
    assert early.status_code == 200 and "办结后即可在此评价" in early.content.decode()
    refused = web.post(f"/rate/{ratings.token_for(open_case)}/", {"grade": "5"})
    assert refused.status_code == 400 and "办结后才能评价" in refused.content.decode()

    case = closed_case(staff)
    url = f"/rate/{ratings.token_for(case)}/"
    assert "提交评价" in web.get(url).content.decode()
    assert web.post(url, {"grade": "9"}).status_code == 400
    done = web.post(url, {"grade": "5", "comment": "很快"})
    assert done.status_code == 200 and "感谢您的评价" in done.content.decode()
    again = web.post(url, {"grade": "1", "comment": "改成差评"})
    assert again.status_code == 400 and "只能评价一次" in again.content.decode()
    rating = Rating.objects.get(case=case)
    assert (rating.grade, rating.channel, rating.point_id) == (5, "qr", case.origin_point_id)
    assert not FollowUp.objects.filter(rating=rating).exists()
    # A forged or altered token names no case.
    assert web.get(f"/rate/{case.pk}/").status_code == 404
    assert web.get(url[:-3] + "xx/").status_code == 404


def test_a_bad_grade_opens_a_follow_up_whose_reply_the_applicant_reads(staff, network, client_at):
    from cases import ratings, services, workdays
    from cases.errors import CaseError
    from cases.models import FollowUp

    case = closed_case(staff)
    web = client_at(None)
    url = f"/rate/{ratings.token_for(case)}/"
    no_reason = web.post(url, {"grade": "1"})
    assert no_reason.status_code == 400 and "不满意的原因" in no_reason.content.decode()
    assert web.post(url, {"grade": "1", "comment": "窗口排队两个小时"}).status_code == 200
    follow_up = FollowUp.objects.get(rating__case=case)
    assert follow_up.point == network.county
    assert follow_up.due_date == workdays.add_working_days(services.today(), 15)
    assert "将在" in web.get(url).content.decode()

    with pytest.raises(CaseError, match="督查人员"):  # a supervisor of another branch
        ratings.complete_follow_up(follow_up.pk, staff.village_supervisor, network.other_village,
                                   action_taken="x", reply="y")
    admin = client_at(network.county)
    admin.force_login(staff.supervisor)
    listing = admin.get("/admin/cases/follow-ups/")
    assert listing.status_code == 200 and case.number in listing.content.decode()
    answer = admin.post(f"/admin/cases/follow-ups/{follow_up.pk}/",
                        {"action_taken": "增开一个综合窗口", "reply": "已增开窗口，感谢您的监督。"})
    assert answer.status_code == 302
    assert "已增开窗口，感谢您的监督。" in web.get(url).content.decode()
    with pytest.raises(CaseError, match="已经办结"):
        ratings.complete_follow_up(follow_up.pk, staff.supervisor, network.county, action_taken="x", reply="y")


def test_the_window_tablet_rates_at_the_receiving_point_only(staff, network, client_at):
    from cases.models import Rating

    case = closed_case(staff)
    window = client_at(network.county)
    window.force_login(staff.clerk.user)
    page = window.get(f"/admin/cases/{case.pk}/rate/")
    assert page.status_code == 200 and "提交评价" in page.content.decode()
    assert window.post(f"/admin/cases/{case.pk}/rate/", {"grade": "4"}).status_code == 200
    assert Rating.objects.get(case=case).channel == "window"
    other = client_at(network.other_village)
    other.force_login(network.user("g-v2clerk", network.other_village, "clerk"))
    assert other.get(f"/admin/cases/{case.pk}/rate/").status_code in (403, 404)


def test_a_signed_in_applicant_rates_their_own_case_on_my_cases_only(staff, network, client_at):
    import secrets

    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from cases.models import Rating
    from online.models import CitizenAccount
    from online.session import SESSION_KEY

    def account(phone):
        user = get_user_model().objects.create_user(f"citizen-{phone}")
        return CitizenAccount.objects.create(user=user, phone=phone, name="王秀英", id_number=ID,
                                             verified_at=timezone.now())

    phone = f"139{secrets.randbelow(10 ** 8):08d}"
    mine, theirs = account(phone), account(f"137{secrets.randbelow(10 ** 8):08d}")
    case = closed_case(staff, phone=phone)
    web = client_at(None)
    assert web.get(f"/my/{case.number}/rate/").status_code == 302  # to /login/
    session = web.session
    session[SESSION_KEY] = theirs.pk
    session.save()
    assert web.post(f"/my/{case.number}/rate/", {"grade": "5"}).status_code == 404  # not theirs
    session = web.session
    session[SESSION_KEY] = mine.pk
    session.save()
    assert web.post(f"/my/{case.number}/rate/", {"grade": "4", "comment": "网上办很方便"}).status_code == 200
    assert Rating.objects.get(case=case).channel == "online"
    assert "只能评价一次" in web.post(f"/my/{case.number}/rate/", {"grade": "5"}).content.decode()
