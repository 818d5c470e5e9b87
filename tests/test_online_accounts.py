"""Citizens' accounts on the network host (issue 13, "Signing in"): sign-in by
a one-time SMS code (6 digits, 5 minutes, one use, hashed), brute force and
SMS bombing stopped by budgets per phone and per address, the same answer
whether or not a phone has an account, the real-name step, and 我的办件 showing
an account its own cases only."""
from __future__ import annotations

import datetime as dt
import html
import re
import secrets

import pytest
from stdnum.cn import ric

ITEM = "YM-MZJ-GG-002"  # 老年人优待证办理: villages accept, the county's 民政局 decides


@pytest.fixture(scope="module")
def network(shared_network):
    return shared_network


def body(response) -> str:
    return html.unescape(response.content.decode())


def new_phone() -> str:
    return "139" + f"{secrets.randbelow(10**8):08d}"


def new_address() -> str:
    return f"198.18.{secrets.randbelow(250) + 1}.{secrets.randbelow(250) + 1}"


def new_id_number() -> str:
    body17 = f"110105{1950 + secrets.randbelow(40)}0{1 + secrets.randbelow(9)}1{secrets.randbelow(9)}" \
             f"{secrets.randbelow(1000):03d}"
    return body17 + ric.calc_check_digit(body17 + "0")  # stdnum drops the last character


def last_code(phone: str) -> str:
    """The code as the demo SMS provider 'sent' it (its table; the console shows the same)."""
    from cases.models import SmsMessage

    message = SmsMessage.objects.filter(phone=phone, notice__isnull=True).latest("sent_at")
    return re.search(r"\b(\d{6})\b", message.text)[1]


class Citizen:
    """A phone's browser on the network host, from one address."""

    def __init__(self, client_at, phone: str | None = None, address: str | None = None):
        self.client = client_at(None)
        self.phone = phone or new_phone()
        self.address = address or new_address()

    def get(self, path, **data):
        return self.client.get(path, data, REMOTE_ADDR=self.address)

    def post(self, path, data=None):
        return self.client.post(path, data or {}, REMOTE_ADDR=self.address)

    def ask_code(self):
        return self.post("/login/", {"phone": self.phone, "next": "/my/"})

    def enter(self, code):
        return self.post("/login/code/", {"code": code, "next": "/my/"})

    def sign_in(self):
        assert self.ask_code().status_code == 302
        response = self.enter(last_code(self.phone))
        assert response.status_code == 302, body(response)
        return response

    def verify(self, **fields):
        return self.post("/account/verify/", {"kind": "person", "next": "/my/", **fields})


def test_a_code_by_sms_signs_in_and_makes_the_account_at_the_first_sign_in(network, client_at):
    from django.contrib.auth import get_user_model

    from online.models import CitizenAccount, SignInCode

    citizen = Citizen(client_at)
    page = body(citizen.get("/login/"))
    assert "手机号码" in page and "获取验证码" in page and 'lang="zh-Hans"' in page and "跳到正文" in page
    assert citizen.get("/my/")["Location"] == "/login/?next=%2Fmy%2F"

    sent = citizen.ask_code()
    assert sent.status_code == 302 and sent["Location"].startswith("/login/code/")
    code = last_code(citizen.phone)
    stored = SignInCode.objects.get(phone=citizen.phone)
    assert code not in stored.code_hash and len(stored.code_hash) == 64  # only a keyed hash is kept
    assert stored.expires_at - stored.created_at == dt.timedelta(minutes=5)
    form = body(citizen.get("/login/code/"))
    assert f"{citizen.phone[:3]}****{citizen.phone[-4:]}" in form and citizen.phone not in form
    assert not CitizenAccount.objects.filter(phone=citizen.phone).exists()  # nothing made by asking

    signed_in = citizen.enter(code)
    assert signed_in.status_code == 302 and signed_in["Location"].startswith("/account/verify/")
    account = CitizenAccount.objects.get(phone=citizen.phone)
    assert account.user.username == f"citizen-{citizen.phone}" and not account.user.has_usable_password()
    assert not account.user.is_staff
    mine = body(citizen.get("/my/"))
    assert "我的办件" in mine and "实名认证" in mine and "退出" in mine

    # One use: the same code in another browser signs nobody in.
    thief = Citizen(client_at, phone=citizen.phone)
    thief_session = thief.client.session
    thief_session["online_signin_phone"] = citizen.phone
    thief_session.save()
    reused = thief.enter(code)
    assert reused.status_code == 400 and "验证码不正确或已失效" in body(reused)
    assert thief.get("/my/").status_code == 302

    # Signing in again finds the same account; signing out ends the session (POST only).
    again = Citizen(client_at, phone=citizen.phone)
    again.sign_in()
    assert CitizenAccount.objects.filter(phone=citizen.phone).count() == 1
    assert get_user_model().objects.filter(username=f"citizen-{citizen.phone}").count() == 1
    assert again.get("/logout/").status_code == 405
    assert again.post("/logout/").status_code == 302
    assert again.get("/my/").status_code == 302


def test_a_code_dies_after_five_minutes_and_a_new_code_replaces_the_old(network):
    from online import accounts

    phone = new_phone()
    sent_at = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
    accounts.send_code(phone, now=sent_at)
    code = last_code(phone)
    assert accounts.check_code(phone, code, now=sent_at + dt.timedelta(minutes=5, seconds=1)) is None
    assert accounts.check_code(phone, code, now=sent_at + dt.timedelta(minutes=4, seconds=59)) is not None

    accounts.send_code(phone, now=sent_at)
    first = last_code(phone)
    accounts.send_code(phone, now=sent_at + dt.timedelta(minutes=1))
    second = last_code(phone)
    later = sent_at + dt.timedelta(minutes=2)
    if first != second:
        assert accounts.check_code(phone, first, now=later) is None
    assert accounts.check_code(phone, second, now=later) is not None


def test_guessing_codes_is_stopped_per_code_and_per_phone(network, client_at, settings):
    settings.ONLINE_SIGNIN_RATES = {"check.address": "off", "send.address": "off"}
    citizen = Citizen(client_at)
    citizen.ask_code()
    code = last_code(citizen.phone)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    for _ in range(5):
        assert citizen.enter(wrong).status_code == 400
    dead = citizen.enter(code)  # the sixth try, even with the right code: the code is used up
    assert dead.status_code == 400 and "验证码不正确或已失效" in body(dead)
    assert citizen.get("/my/").status_code == 302

    # A new code gives five more tries, but the phone's budget (10 an hour) ends guessing,
    # from whatever address the guesses come.
    citizen.ask_code()
    code = last_code(citizen.phone)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    for _ in range(4):
        citizen.address = new_address()
        assert citizen.enter(wrong).status_code == 400
    citizen.address = new_address()
    limited = citizen.enter(code)
    assert limited.status_code == 429 and "操作过于频繁" in body(limited) and int(limited["Retry-After"]) > 0
    assert citizen.get("/my/").status_code == 302


def test_sending_codes_is_limited_per_phone_and_per_address(network, client_at, settings):
    from cases.models import SmsMessage

    settings.ONLINE_SIGNIN_RATES = {"send.address": "off"}
    victim = new_phone()
    for _ in range(5):
        assert Citizen(client_at, phone=victim).ask_code().status_code == 302
    bombing = Citizen(client_at, phone=victim).ask_code()
    assert bombing.status_code == 429 and "操作过于频繁" in body(bombing)
    assert SmsMessage.objects.filter(phone=victim).count() == 5

    settings.ONLINE_SIGNIN_RATES = {"send.address": "3/h"}
    address = new_address()
    answers = [Citizen(client_at, address=address).ask_code().status_code for _ in range(4)]
    assert answers == [302, 302, 302, 429]


def test_a_wrong_code_says_the_same_whether_or_not_the_phone_has_an_account(network, client_at):
    known = Citizen(client_at)
    known.sign_in()
    known.post("/logout/")
    stranger = Citizen(client_at)

    def answer(citizen):
        sent = citizen.ask_code()
        response = citizen.enter("000000" if last_code(citizen.phone) != "000000" else "111111")
        text = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", body(response))
        return sent.status_code, sent["Location"], response.status_code, \
            text.replace(f"{citizen.phone[:3]}****{citizen.phone[-4:]}", "PHONE")

    assert answer(known) == answer(stranger)
    assert "验证码不正确或已失效" in answer(stranger)[3]


def test_the_real_name_step_checks_the_numbers_and_saves_nothing_on_error(network, client_at):
    from online.models import CitizenAccount

    person = Citizen(client_at)
    assert person.get("/account/verify/")["Location"].startswith("/login/?next=")
    person.sign_in()
    account = CitizenAccount.objects.get(phone=person.phone)
    good = new_id_number()
    bad = good[:-1] + ("0" if good[-1] != "0" else "1")

    refused = person.verify(name="李四", id_number=bad)
    assert refused.status_code == 400 and "校验位不对" in body(refused)
    assert refused.content.decode().count('value="李四"') == 1  # what was typed stays in the form
    no_name = person.verify(name=" ", id_number=good)
    assert no_name.status_code == 400 and "请填写姓名" in body(no_name)
    account.refresh_from_db()
    assert account.verified_at is None and account.name == "" and account.id_number == ""

    done = person.verify(name="李四", id_number=good.lower())
    assert done.status_code == 302 and done["Location"] == "/my/"
    account.refresh_from_db()
    assert account.verified and account.name == "李四" and account.id_number == good.upper()
    page = body(person.get("/account/verify/"))
    assert "已完成实名认证" in page and good not in page and good[-4:] in page
    changed = person.verify(name="王五", id_number=new_id_number())
    assert changed.status_code == 400 and "不能更改" in body(changed)
    account.refresh_from_db()
    assert account.name == "李四"

    firm = Citizen(client_at)
    firm.sign_in()
    refused = firm.verify(kind="enterprise", name="长沙市某某科技有限公司", id_number="91110000600037341X")
    assert refused.status_code == 400
    assert "统一社会信用代码校验位不对" in body(refused) and "请填写法定代表人" in body(refused)
    assert not CitizenAccount.objects.get(phone=firm.phone).verified
    done = firm.verify(kind="enterprise", name="长沙市某某科技有限公司", id_number="91110000600037341L",
                       legal_representative="赵六")
    assert done.status_code == 302
    firm_account = CitizenAccount.objects.get(phone=firm.phone)
    assert (firm_account.kind, firm_account.id_number, firm_account.legal_representative) == \
        ("enterprise", "91110000600037341L", "赵六")


@pytest.fixture(scope="module")
def window(network, django_db_blocker):
    from cases.services import Actor

    with django_db_blocker.unblock():
        return Actor(network.user("online-a-clerk", network.village, "clerk"), network.village, "10.0.0.9")


def open_at_window(actor, *, id_number: str, phone: str, name: str = "王秀英"):
    from cases.services import Applicant, Intake, MaterialCheck, open_case

    return open_case(actor, Intake(item_code=ITEM, applicant=Applicant(
        kind="person", name=name, id_number=id_number, phone=phone), materials=[
        MaterialCheck("居民身份证", present=True, original=True, copies=1),
        MaterialCheck("数字相片", present=True, copies=1)]))


def test_my_cases_shows_an_account_its_own_cases_and_no_one_elses(network, client_at, window):
    from cases import services
    from cases.models import Case
    from online.models import CitizenAccount

    me, other = Citizen(client_at), Citizen(client_at)
    id_number = new_id_number()
    mine = open_at_window(window, id_number=id_number, phone=me.phone)
    # The same ID number given with someone else's phone: an ID number is no secret.
    same_id_other_phone = open_at_window(window, id_number=id_number, phone=other.phone, name="王秀")
    my_phone_other_id = open_at_window(window, id_number=new_id_number(), phone=me.phone, name="王大")
    online = open_at_window(window, id_number=new_id_number(), phone=new_phone(), name="王二")

    me.sign_in()
    me.verify(name="王秀英", id_number=id_number)
    # An online application of this account (online.applications sets applicant_user when it submits).
    Case.objects.filter(pk=online.pk).update(applicant_user=CitizenAccount.objects.get(phone=me.phone).user)
    services.request_supplement(mine.pk, window, ["户口簿", "数字相片"])
    services.record_step(mine.pk, window, "internal_note", "clerk", lambda case: None,
                         note="内部备注：不给申请人看", public=False)

    listing = body(me.get("/my/"))
    assert mine.number in listing and online.number in listing
    assert same_id_other_phone.number not in listing and my_phone_other_id.number not in listing
    assert "补正材料：户口簿、数字相片" in listing and "补正中" in listing

    detail = me.get(f"/my/{mine.number}/")
    page = body(detail)
    assert detail.status_code == 200
    assert "需要您补正的材料" in page and "户口簿" in page and "窗口收件" in page and "一次性告知补正" in page
    assert "内部备注" not in page and "internal_note" not in page

    others = me.get(f"/my/{same_id_other_phone.number}/")
    missing = me.get(f"/my/{mine.number}9/")
    assert others.status_code == missing.status_code == 404
    assert others.content == missing.content

    other.sign_in()
    other.verify(name="王秀", id_number=id_number)
    theirs = body(other.get("/my/"))
    assert same_id_other_phone.number in theirs and mine.number not in theirs and online.number not in theirs
    assert other.get(f"/my/{mine.number}/").status_code == 404
    assert other.get(f"/my/{online.number}/").status_code == 404


def test_large_text_mode_is_kept_on_the_network_host(network, client_at):
    citizen = Citizen(client_at)
    switched = citizen.get("/text-size/", size="large", next="/login/")
    assert switched.status_code == 302 and switched["Location"] == "/login/"
    page = citizen.get("/login/").content.decode()
    assert 'class="large-text' in page and 'aria-pressed="true"' in page
    outside = citizen.get("/text-size/", size="normal", next="https://evil.example/")
    assert outside["Location"] == "/"
    assert 'class="large-text' not in citizen.get("/login/").content.decode()
    # The network directory (cms' base template) links here and now has the toggle on this host too.
    directory = body(citizen.get("/"))
    assert 'href="/login/"' in directory and 'href="/my/"' in directory and "大字模式" in directory


def test_an_electronic_result_is_downloaded_by_its_applicant_only(network, client_at, make_item):
    import hashlib

    from cases import results, services

    version = make_item(adopt_at=[network.county], accept_tiers=["county"],
                        delivery=["窗口领取", "免费邮寄", "电子送达"])
    county = services.Actor(network.user("online-a-county", network.county, "clerk"), network.county)
    me, stranger = Citizen(client_at), Citizen(client_at)
    id_number = new_id_number()
    case = services.open_case(county, services.Intake(
        item_code=version.item.code,
        materials=[services.MaterialCheck(m["name"], present=True, original=True, copies=1)
                   for m in version.content.get("materials", [])],
        applicant=services.Applicant(kind="person", name="王秀英", id_number=id_number, phone=me.phone)))
    services.accept(case.pk, county)
    services.decide(case.pk, county, granted=True, text="准予办理。")
    result = results.deliver_electronic(case.pk, county, verify_root="http://localhost")

    me.sign_in()
    me.verify(name="王秀英", id_number=id_number)
    page = body(me.get(f"/my/{case.number}/"))
    link = f"/my/{case.number}/results/{result.token}.pdf"
    assert "电子文书" in page and result.title in page and link in page and f"/verify/{result.token}" in page
    pdf = me.get(link)
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert "no-store" in pdf["Cache-Control"]
    assert hashlib.sha256(b"".join(pdf.streaming_content)).hexdigest() == result.sha256

    stranger.sign_in()
    stranger.verify(name="王秀英", id_number=id_number)  # the same ID number, but not the case's phone
    assert stranger.get(link).status_code == 404
    forged = result.token[:-1] + ("x" if result.token[-1] != "x" else "y")
    assert me.get(f"/my/{case.number}/results/{forged}.pdf").status_code == 404
    me.post("/logout/")
    assert me.get(link).status_code == 302
