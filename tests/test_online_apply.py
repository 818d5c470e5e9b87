"""Applying online (issue 13, "Signing in and applying"): on the network's host a
verified citizen fills in the form of an item the point adopted, saved as a
draft as they go, uploads the materials (checked by content, size-limited,
names harmless), submits an APPLIED case pinned to the draft's version; the
village's window receives it in its workbench and reads the files; nobody else
reaches them; an ID card is reused from an earlier case; 补正 uploaded online
resumes the clock."""
from __future__ import annotations

import datetime as dt
import html
import io
import re
import secrets
import zipfile
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

ITEM = "YM-MZJ-GG-002"  # 老年人优待证办理: 网上预审, villages accept, the county's 民政局 decides in 3 working days
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 64
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 48 + b"PE\x00\x00" + b"\x00" * 64


def body(response) -> str:
    return html.unescape(response.content.decode())


def pdf(name="身份证.pdf", content=PDF):
    return SimpleUploadedFile(name, content, "application/pdf")


def ofd():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("OFD.xml", "<ofd:OFD xmlns:ofd='http://www.ofdspec.org/2016'/>")
        archive.writestr("Doc_0/Document.xml", "<ofd:Document/>")
    return SimpleUploadedFile("电子证照.ofd", buffer.getvalue(), "application/octet-stream")


@pytest.fixture(scope="module")
def network(shared_network):
    return shared_network


def id_number() -> str:
    from stdnum.cn.ric import calc_check_digit

    year, month, day = 1950 + secrets.randbelow(40), secrets.randbelow(9) + 1, secrets.randbelow(9) + 11
    base = f"110105{year}{month:02d}{day}{secrets.randbelow(1000):03d}"
    return base + calc_check_digit(base + "0")  # stdnum takes the number with a check digit slot


@pytest.fixture
def citizen(client_at):
    """A verified person's account and a client signed in with it on the network's host."""
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.utils import timezone

    from online.models import CitizenAccount
    from online.session import SESSION_KEY

    def make(name="李桂兰", kind="person"):
        phone = f"139{secrets.randbelow(10 ** 8):08d}"
        user = get_user_model().objects.create_user(f"citizen-{phone}")
        user.set_unusable_password()
        user.save()
        account = CitizenAccount.objects.create(user=user, phone=phone, kind=kind, name=name, id_number=id_number(),
                                                verified_at=timezone.now())
        # The network host's sessions live in the public schema (a point's request may have left another set).
        connection.set_schema_to_public()
        client = client_at(None)
        session = client.session
        session[SESSION_KEY] = account.pk
        session.save()
        return account, client

    return make


@pytest.fixture(scope="module")
def staff(network, django_db_blocker):
    """Signed-in workbench clients: the village's clerk, the other village's clerk, the county's clerk."""
    from django.test import Client
    from django_tenants.utils import tenant_context

    def signed_in(point, name):
        user = network.user(name, point, "clerk")
        client = Client(HTTP_HOST=point.primary_host)
        with tenant_context(point):
            client.force_login(user)
        return client

    with django_db_blocker.unblock():
        return {"village": signed_in(network.village, "ol-v"), "other": signed_in(network.other_village, "ol-v2"),
                "county": signed_in(network.county, "ol-c")}


def apply_url(point, code=ITEM) -> str:
    return f"/apply/{point.slug}/{code}/"


def submit_case(client, point, files=None, **fields):
    """Fill in and submit the demo item at `point`; returns the case."""
    from cases.models import Case

    data = {"phone": "13900001111", "action": "submit", **fields}
    data.update(files if files is not None else {"file-0": pdf(), "file-1": SimpleUploadedFile("照片.png", PNG)})
    response = client.post(apply_url(point), data)
    assert response.status_code == 302, body(response)
    found = re.search(r"/submitted/([^/]+)/$", response["Location"])
    assert found, response["Location"]
    number = found[1]
    return Case.objects.get(number=number)


def test_a_draft_is_saved_and_resumed_and_its_submission_opens_an_applied_case_pinned_to_its_version(
        network, citizen, client_at, make_item):
    from cases.models import Case, CaseEvent, Channel, Notice, Status
    from online.models import Draft
    from standards.models import Adoption
    from standards.services import publish_content

    account, client = citizen()
    materials = [{"name": "居民身份证", "form": "电子", "copies": 1, "source": "申请人提供", "required": True},
                 {"name": "申请表", "form": "电子", "copies": 1, "source": "申请人提供", "required": True}]
    version = make_item(adopt_at=[network.village], accept_tiers=["county", "township", "village"],
                        online="全程网办", materials=materials)
    url = apply_url(network.village, version.code)

    form = client.get(url)
    assert form.status_code == 200 and "申请表" in body(form) and "（必需）" in body(form)
    saved = client.post(url, {"phone": "13900002222", "address": "幸福路 8 号", "action": "save", "file-0": pdf()})
    assert saved.status_code == 302 and "saved=1" in saved["Location"]

    # The central library publishes a new version (another material) and the village's guide moves to it.
    more = [*materials, {**materials[0], "name": "户口簿"}]
    newer, published = publish_content({**version.content, "materials": more})
    assert published and newer.pk != version.pk
    Adoption.objects.of_point(network.village).filter(item=version.item).update(version=newer)

    # Resumed later (another device, same account): the fields and the file are there, the form is the old one.
    resumed = body(client.get(url))
    assert "幸福路 8 号" in resumed and "身份证.pdf" in resumed and "户口簿" not in resumed

    refused = client.post(url, {"phone": "13900002222", "action": "submit"})
    assert refused.status_code == 400 and "请上传必需的材料：申请表" in body(refused)
    assert not Case.objects.filter(applicant_user=account.user).exists()

    response = client.post(url, {"phone": "13900002222", "action": "submit", "file-1": ofd()})
    assert response.status_code == 302, body(response)
    case = Case.objects.get(applicant_user=account.user)
    assert (case.status, case.channel, case.version_id) == (Status.APPLIED, Channel.ONLINE, version.pk)
    assert case.holder == case.origin_point == network.village and case.deciding_point == network.county
    assert case.phone == "13900002222" and case.applicant_name == account.name
    assert [(row["name"], row["present"]) for row in case.materials] == [("居民身份证", True), ("申请表", True)]
    assert {u.content_type for u in case.uploads.all()} == {"application/pdf", "application/ofd"}
    assert list(CaseEvent.objects.filter(case=case).values_list("action", "to_status", "role")) == \
        [("submit_online", "applied", "applicant")]
    assert Notice.objects.filter(case=case, kind="inbox", point=network.village).exists()
    assert Notice.objects.filter(case=case, kind="sms", phone="13900002222").exists()
    assert Draft.objects.get(case=case).version_id == version.pk
    done = client.get(response["Location"])
    assert done.status_code == 200 and case.number in body(done)
    # A second submit of the same form finds no open draft to submit twice: a new, empty one opens.
    again = client.post(url, {"phone": "13900002222", "action": "submit"})
    assert again.status_code == 400 and Case.objects.filter(applicant_user=account.user).count() == 1

    # The points that accept it online are offered; an item that cannot be applied for online, or a
    # point that does not accept it, has no form.
    choose = body(client.get(f"/apply/{version.code}/"))
    assert f"在{network.village.name}申请" in choose and network.other_village.name not in choose
    offline = make_item(adopt_at=[network.village], accept_tiers=["county", "township", "village"],
                        online="不支持网办")
    assert client.get(apply_url(network.village, offline.code)).status_code == 404
    assert client.get(f"/apply/{offline.code}/").status_code == 404
    assert client.get(apply_url(network.other_village, version.code)).status_code == 404
    # Not signed in: to the sign-in page, back here after it.
    anonymous = client_at(None).get(url)
    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/login/?next=")


def test_the_window_receives_an_online_application_and_reads_its_files_others_do_not(network, citizen, staff):
    from cases.models import Case, Status
    from cases.services import NOTIFY_WITHIN_DAYS, today
    from cases.workdays import add_working_days

    account, client = citizen()
    case = submit_case(client, network.village)
    upload = case.uploads.get(material="居民身份证")

    inbox = body(staff["village"].get("/admin/cases/inbox/"))
    assert case.number in inbox and "网上申请，待预审收件" in inbox
    page = body(staff["village"].get(f"/admin/cases/{case.pk}/"))
    assert "网上申请收件（预审通过）" in page and "网上提交的材料" in page
    file_url = f"/admin/cases/{case.pk}/files/{upload.key}/"
    assert file_url in page
    served = staff["village"].get(file_url)
    assert served.status_code == 200 and b"".join(served.streaming_content) == PDF
    assert served["Content-Type"] == "application/pdf"
    # The other village's clerk: the case never passed there, so the file is the same 404 as a missing one.
    assert staff["other"].get(file_url).status_code == 404
    assert staff["other"].get(f"/admin/cases/{case.pk}/").status_code == 404
    # A key of another case under this case's URL: 404.
    other_case = submit_case(citizen()[1], network.village)
    assert staff["village"].get(f"/admin/cases/{case.pk}/files/{other_case.uploads.first().key}/").status_code == 404

    received = staff["village"].post(f"/admin/cases/{case.pk}/step/", {"action": "receive_online"})
    assert received.status_code == 302, body(received)
    case = Case.objects.get(pk=case.pk)
    assert case.status == Status.RECEIVED
    assert case.notify_by == add_working_days(today(), NOTIFY_WITHIN_DAYS)
    assert case.events.order_by("-seq").first().action == "receive_online"
    twice = staff["village"].post(f"/admin/cases/{case.pk}/step/", {"action": "receive_online"})
    assert twice.status_code == 400 and Case.objects.get(pk=case.pk).events.count() == 2


def test_files_are_checked_by_content_and_size_and_names_reach_nothing(network, citizen, settings):
    from django.conf import settings as django_settings

    from online.models import Draft, Upload

    account, client = citizen()
    url = apply_url(network.village)
    client.get(url)
    draft = Draft.objects.get(account=account, case__isnull=True)

    exe = client.post(url, {"action": "save", "phone": "13900003333", "note": "先存一下",
                            "file-0": SimpleUploadedFile("身份证.pdf", EXE, "application/pdf")})
    assert exe.status_code == 400 and "不是 PDF、JPEG、PNG 或 OFD 格式" in body(exe)
    draft.refresh_from_db()
    assert not Upload.objects.filter(account=account).exists() and "note" not in draft.fields  # nothing saved

    settings.ONLINE_UPLOAD_MAX_BYTES = 1024
    big = client.post(url, {"action": "save", "file-0": pdf(content=PDF + b"0" * 2048)})
    assert big.status_code == 400 and "超过" in body(big) and not Upload.objects.filter(account=account).exists()
    settings.ONLINE_UPLOAD_MAX_BYTES = 10 * 1024 * 1024

    from online.uploads import display_name

    assert display_name("..\\..\\windows\\win.ini\x00\u202e.pdf") == "win.ini.pdf"
    tricky = "../../../../etc/cron.d/x<script>.pdf"
    saved = client.post(url, {"action": "save", "file-0": pdf(name=tricky)})
    assert saved.status_code == 302
    upload = Upload.objects.get(account=account)
    assert upload.original_name == "x<script>.pdf"
    root = Path(django_settings.STORAGES["applicant_files"]["OPTIONS"]["location"]).resolve()
    stored = (root / upload.file.name).resolve()
    assert upload.file.name == f"uploads/{network.village.schema_name}/{upload.key}"
    assert stored.is_file() and stored.read_bytes() == PDF and root in stored.parents
    page = client.get(url).content.decode()
    assert "x&lt;script&gt;.pdf" in page and "x<script>" not in page
    # Removed from the draft: the row and the stored file go.
    removed = client.post(url, {"action": "save", "remove-0": "1"})
    assert removed.status_code == 302 and not Upload.objects.filter(account=account).exists()
    assert not stored.exists()


def test_an_applicants_files_are_theirs_alone(network, citizen, client_at):
    account, client = citizen()
    case = submit_case(client, network.village)
    key = case.uploads.first().key
    mine = client.get(f"/files/{key}/")
    assert mine.status_code == 200 and mine["Cache-Control"].startswith("private")
    _, stranger = citizen("张三")
    assert stranger.get(f"/files/{key}/").status_code == 404
    assert stranger.get(f"/files/{secrets.token_hex(16)}/").status_code == 404
    assert client_at(None).get(f"/files/{key}/").status_code == 302  # to the sign-in page
    # Another applicant's case: its supplement page is the same 404 as a missing number.
    assert stranger.get(f"/my/{case.number}/supplement/").status_code == 404
    assert stranger.get("/my/000000000000-20990101-0001/supplement/").status_code == 404


def test_an_id_card_from_an_earlier_case_is_offered_instead_of_a_new_upload(network, citizen):
    from cases.models import Case
    from online.models import Upload

    account, client = citizen()
    first = submit_case(client, network.village)
    earlier = first.uploads.get(material="居民身份证")
    form = body(client.get(apply_url(network.village)))
    assert "使用以前办件提交过的“身份证.pdf”" in form and str(earlier.key) in form
    # The photo is not a reusable material: a new upload is asked for.
    assert form.count("使用以前办件提交过的") == 1

    response = client.post(apply_url(network.village), {
        "phone": "13900004444", "action": "submit", "reuse-0": str(earlier.key),
        "file-1": SimpleUploadedFile("新照片.jpg", b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 64)})
    assert response.status_code == 302, body(response)
    second = Case.objects.filter(applicant_user=account.user).exclude(pk=first.pk).get()
    copy = second.uploads.get(material="居民身份证")
    assert copy.key != earlier.key and copy.file.name == earlier.file.name and copy.sha256 == earlier.sha256
    assert Upload.objects.filter(pk=earlier.pk, case=first).exists()  # the earlier case keeps its own
    # A reused copy removed from a new draft leaves the earlier cases' file in place.
    assert client.post(apply_url(network.village), {"action": "save", "reuse-0": str(copy.key)}).status_code == 302
    assert Upload.objects.get(account=account, case__isnull=True).file.name == earlier.file.name
    assert client.post(apply_url(network.village), {"action": "save", "remove-0": "1"}).status_code == 302
    assert not Upload.objects.filter(account=account, case__isnull=True).exists()
    assert earlier.file.storage.exists(earlier.file.name)
    # Another account's file cannot be "reused" by naming its key.
    _, stranger = citizen("王五")
    stolen = stranger.post(apply_url(network.village), {"action": "save", "reuse-0": str(earlier.key)})
    assert stolen.status_code == 400 and "没有可以复用的“居民身份证”" in body(stolen)


def test_a_supplement_uploaded_online_resumes_the_clock(network, citizen, staff):
    from cases import clock, services
    from cases.models import Case, Notice, Status
    from cases.workdays import add_working_days, working_days_between

    account, client = citizen()
    case = submit_case(client, network.village)
    # 预审 finds the photo unusable: 补正 before 收件.
    services.request_supplement(case.pk, services.Actor(staff_user(network.village, "ol-v"), network.village),
                                ["数字相片"])
    page = body(client.get(f"/my/{case.number}/supplement/"))
    assert "数字相片" in page and "提交补正材料" in page
    asked = Notice.objects.filter(case=case, kind="sms").order_by("-id").first()
    assert "需要补正：数字相片" in asked.text and "我的办件" in asked.text
    missing = client.post(f"/my/{case.number}/supplement/", {})
    assert missing.status_code == 400 and "还需要上传：数字相片" in body(missing)
    assert Case.objects.get(pk=case.pk).status == Status.SUPPLEMENT
    bad = client.post(f"/my/{case.number}/supplement/", {"file-0": SimpleUploadedFile("a.png", EXE)})
    assert bad.status_code == 400 and Case.objects.get(pk=case.pk).status == Status.SUPPLEMENT
    done = client.post(f"/my/{case.number}/supplement/", {"file-0": SimpleUploadedFile("相片.png", PNG)})
    assert done.status_code == 302
    case = Case.objects.get(pk=case.pk)
    assert case.status == Status.APPLIED and case.clock_stopped_on is None
    assert case.uploads.filter(material="数字相片").count() == 2

    # Received, carried up to the county, accepted: the clock runs; 补正 stops it for a week.
    village, township = staff_actor(network.village, "ol-v"), staff_actor(network.township, "ol-t")
    county = staff_actor(network.county, "ol-c")
    online_steps_receive(case, village)
    services.hand_up(case.pk, village)
    services.hand_up(case.pk, township)
    case = services.accept(case.pk, county)
    due = case.due_date
    case = services.request_supplement(case.pk, county, ["居民身份证"])
    stopped = case.clock_stopped_on
    later = clock.now() + dt.timedelta(days=7)
    with clock.replaying(later):
        response = client.post(f"/my/{case.number}/supplement/", {"file-0": pdf(name="身份证正反面.pdf")})
    assert response.status_code == 302, body(response)
    case = Case.objects.get(pk=case.pk)
    assert case.status == Status.ACCEPTED and case.clock_stopped_on is None
    assert case.due_date == add_working_days(due, working_days_between(stopped, clock.today() + dt.timedelta(days=7)))
    assert case.due_date > due
    last = case.events.order_by("-seq").first()
    assert (last.action, last.role, last.point_id) == ("supplement_online", "applicant", None)
    assert Notice.objects.filter(case=case, kind="inbox", point=network.county, text__contains="补正").exists()
    # Nothing more to supplement now.
    assert client.post(f"/my/{case.number}/supplement/", {"file-0": pdf()}).status_code == 400


def staff_user(point, name):
    from django.contrib.auth import get_user_model

    from tenants.roles import grant_role

    user, made = get_user_model().objects.get_or_create(username=f"{point.slug}-{name}-svc")
    if made:
        grant_role(user, point, "clerk")
    return user


def staff_actor(point, name):
    from cases.services import Actor

    return Actor(staff_user(point, name), point, "10.0.0.9")


def online_steps_receive(case, actor):
    from cases.online_steps import receive_online

    return receive_online(case.pk, actor)
