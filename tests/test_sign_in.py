"""Passwords and signing in: weak passwords are refused wherever one is set;
sign-in is throttled per account and per client address, network-wide.

Sign-ins here go through the real login form (POST /admin/login/ at a point's
host), from a client address of the test's own, so that tests do not lock
each other: failed attempts are shared by the whole run, as by the network.
"""
import secrets

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.management import CommandError, call_command
from django_tenants.utils import schema_exists

from tenants.demo import DEMO_LOGINS, DEMO_PASSWORD
from tenants.models import Role, ServicePoint
from tenants.onboarding import AdminSpec, OnboardingError, PointSpec, onboard_point, schema_name_for

PASSWORD = "pass-Word-2026"  # tests/conftest.py Network.user
LOCKED = "登录失败次数过多"
TOO_SHORT, TOO_COMMON, NUMERIC = "密码长度太短", "这个密码太常见了", "密码只包含数字"
TOO_SIMILAR = "太相似"


@pytest.fixture
def network(shared_network):
    """One network for the module (conftest.shared_network): each test signs in with
    accounts of its own names, from client addresses of its own."""
    return shared_network


def new_address() -> str:
    return f"10.{secrets.randbelow(250) + 1}.{secrets.randbelow(250) + 1}.{secrets.randbelow(250) + 1}"


def sign_in(client, username, password, address, **headers):
    return client.post("/admin/login/", {"username": username, "password": password},
                       REMOTE_ADDR=address, **headers)


def signed_in(response) -> bool:
    return response.status_code == 302 and response["Location"].startswith("/admin/")


def errors(response) -> list[str]:
    return [str(e) for e in response.context["form"].non_field_errors()]


def weak_passwords(name: str) -> dict[str, list[str]]:
    """Each weak password and what must be said about it."""
    return {"1": [TOO_SHORT, TOO_COMMON, NUMERIC], "12345678901": [TOO_COMMON, NUMERIC],
            f"{name}2026": [TOO_SIMILAR]}


def _nothing_made(slug: str, username: str) -> None:
    assert not ServicePoint.objects.filter(slug=slug).exists()
    assert not schema_exists(schema_name_for(slug))
    assert not get_user_model().objects.filter(username=username).exists()


# --- weak passwords -------------------------------------------------------------

def test_onboarding_refuses_a_weak_first_admin_password_and_makes_nothing():
    tag = f"pw{secrets.token_hex(3)}"
    slug, username = f"{tag}-county", f"{tag}-wangxiaoming"
    while True:
        code = f"{secrets.randbelow(90000) + 700000:06d}000000"
        if not ServicePoint.objects.filter(region_code=code).exists():
            break
    for password, said in weak_passwords("wangxiaoming").items():
        spec = PointSpec(name="弱密码测试县", slug=slug, tier="county", region_code=code,
                         admin=AdminSpec(username, password))
        with pytest.raises(OnboardingError) as refused:
            onboard_point(spec)
        messages = "".join(refused.value.errors["admin_password"])
        assert all(text in messages for text in said), (password, messages)
        assert set(refused.value.errors) == {"admin_password"}
        _nothing_made(slug, username)

        # The command says the same, in Chinese, and makes nothing either.
        with pytest.raises(CommandError) as refused_command:
            call_command("onboard_point", name="弱密码测试县", slug=slug, tier="county", region_code=code,
                         admin=username, admin_password=password)
        assert all(text in str(refused_command.value) for text in said)
        _nothing_made(slug, username)


def test_the_new_point_form_refuses_a_weak_admin_password(network, client_at):
    admin = network.user("pw-admin", network.township, Role.ADMIN)
    client = client_at(network.township)
    assert client.login(username=admin.username, password=PASSWORD)
    slug, username = f"{network.tag}-pw-new", f"{network.tag}-zhaolili"
    for password, said in weak_passwords("zhaolili").items():
        response = client.post("/admin/network/onboard/", {
            "parent": network.township.slug, "tier": "village", "name": "弱密码社区", "slug": slug,
            "region_code": network.township.region_code[:9] + "290", "admin_username": username,
            "admin_password": password,
        })
        assert response.status_code == 200
        page = response.content.decode()
        assert all(text in page for text in said), password
        _nothing_made(slug, username)


def test_staff_cannot_change_their_password_to_a_weak_one(network, client_at):
    clerk = network.user("pw-clerk", network.village, Role.CLERK)
    client = client_at(network.village)
    assert client.login(username=clerk.username, password=PASSWORD)
    response = client.post("/admin/account/", {
        "password-old_password": PASSWORD, "password-new_password1": "12345678901",
        "password-new_password2": "12345678901",
    })
    page = response.content.decode()
    assert TOO_COMMON in page and NUMERIC in page
    clerk.refresh_from_db()
    assert clerk.check_password(PASSWORD)


def test_the_demo_password_passes_the_rules():
    User = get_user_model()
    for username, *_ in DEMO_LOGINS:
        validate_password(DEMO_PASSWORD, user=User(username=username))


# --- throttling -----------------------------------------------------------------

def test_wrong_user_wrong_password_and_wrong_point_read_the_same(network, client_at):
    clerk = network.user("same-msg", network.village, Role.CLERK)
    address = new_address()
    client = client_at(network.village)
    wrong_password = sign_in(client, clerk.username, "not-the-Password-1", address)
    wrong_user = sign_in(client, f"{network.tag}-nobody", PASSWORD, address)
    # Right password, but the account holds no role at this point.
    wrong_point = sign_in(client_at(network.other_village), clerk.username, PASSWORD, address)
    for response in (wrong_password, wrong_user, wrong_point):
        assert response.status_code == 200
    assert errors(wrong_password) == errors(wrong_user) == errors(wrong_point)
    assert "密码不匹配" in errors(wrong_user)[0]


def test_an_account_locked_at_one_point_is_locked_at_every_point(network, client_at, settings):
    admin = network.user("locked", network.township, Role.ADMIN)  # acts at the township and its villages
    at_village, at_town = client_at(network.village), client_at(network.township)
    assert signed_in(sign_in(client_at(network.township), admin.username, PASSWORD, new_address()))

    address = new_address()
    for attempt in range(1, settings.AXES_FAILURE_LIMIT + 1):
        response = sign_in(at_village, admin.username, f"wrong-Guess-{attempt}", address)
        if attempt < settings.AXES_FAILURE_LIMIT:
            assert response.status_code == 200 and LOCKED not in response.content.decode()
    assert response.status_code == 429 and LOCKED in errors(response)[0]

    # The right password, at another point, from another address: still refused.
    refused = sign_in(at_town, admin.username, PASSWORD, new_address())
    assert refused.status_code == 429 and LOCKED in errors(refused)[0]
    assert at_town.get("/admin/").status_code == 302  # not signed in

    # An operator lifts the lock with axes' command.
    call_command("axes_reset_username", admin.username)
    assert signed_in(sign_in(at_town, admin.username, PASSWORD, address))


def test_an_address_is_locked_across_usernames_and_a_central_admin_lifts_it(network, client_at, settings):
    clerk = network.user("addr", network.village, Role.CLERK)
    at_village = client_at(network.village)
    address = new_address()
    per_name = settings.AXES_FAILURE_LIMIT - 1  # no single account reaches its own limit
    names = [f"{network.tag}-guess{i}" for i in range(-(-settings.SIGNIN_ADDRESS_FAILURE_LIMIT // per_name))]
    for count in range(settings.SIGNIN_ADDRESS_FAILURE_LIMIT):
        response = sign_in(at_village, names[count // per_name], "wrong-Guess-2026", address)
    assert response.status_code == 429 and LOCKED in errors(response)[0]

    # The clerk's right password from that address is refused; from another it works.
    assert sign_in(client_at(network.village), clerk.username, PASSWORD, address).status_code == 429
    assert signed_in(sign_in(client_at(network.village), clerk.username, PASSWORD, new_address()))

    # The county's central admin sees the address and lifts the lock.
    central = network.user("addr-central", network.county, Role.CENTRAL_ADMIN)
    at_county = client_at(network.county)
    at_county.force_login(central)
    page = at_county.get("/admin/sign-in-locks/")
    assert page.status_code == 200 and address in page.content.decode()
    lifted = at_county.post("/admin/sign-in-locks/", {"kind": "address", "key": address}, follow=True)
    assert f"已解除地址 {address} 的登录锁定" in lifted.content.decode()
    assert signed_in(sign_in(client_at(network.village), clerk.username, PASSWORD, address))


def test_a_central_admin_unlocks_an_account_of_the_county(network, client_at, settings):
    editor = network.user("unlock-me", network.village, Role.EDITOR)
    address = new_address()
    for attempt in range(settings.AXES_FAILURE_LIMIT):
        sign_in(client_at(network.village), editor.username, f"wrong-Guess-{attempt}", address)
    assert sign_in(client_at(network.village), editor.username, PASSWORD, address).status_code == 429

    # Only the county's central admins may see or lift locks.
    township_admin = network.user("unlock-town", network.township, Role.ADMIN)
    at_town = client_at(network.township)
    at_town.force_login(township_admin)
    denied = at_town.get("/admin/sign-in-locks/")
    assert denied.status_code == 403 and editor.username not in denied.content.decode()
    assert "/admin/sign-in-locks/" not in at_town.get("/admin/").content.decode()  # not in its menu
    assert at_town.post("/admin/sign-in-locks/", {"kind": "account", "key": editor.username}).status_code == 403
    assert sign_in(client_at(network.village), editor.username, PASSWORD, address).status_code == 429

    central = network.user("unlock-central", network.county, Role.CENTRAL_ADMIN)
    at_county = client_at(network.county)
    at_county.force_login(central)
    page = at_county.get("/admin/sign-in-locks/")
    assert editor.username in page.content.decode()
    assert "/admin/sign-in-locks/" in at_county.get("/admin/").content.decode()  # in the menu
    lifted = at_county.post("/admin/sign-in-locks/", {"kind": "account", "key": editor.username}, follow=True)
    assert f"已解除账号“{editor.username}”的登录锁定" in lifted.content.decode()
    assert signed_in(sign_in(client_at(network.village), editor.username, PASSWORD, address))


def test_a_forged_forwarded_header_does_not_dodge_the_lock(network, client_at, settings):
    """Behind one trusted proxy the address counted is the one the proxy appended,
    whatever the client wrote before it; in development the header is ignored."""
    from django.test import RequestFactory

    from tenants.signin import client_address

    clerk = network.user("forged", network.village, Role.CLERK)
    settings.SIGNIN_TRUSTED_PROXIES = 1
    seen = new_address()  # what the proxy saw and appended

    def through_proxy(username, password, client_wrote):
        return sign_in(client_at(network.village), username, password, "127.0.0.1",
                       HTTP_X_FORWARDED_FOR=f"{client_wrote}, {seen}")

    per_name = settings.AXES_FAILURE_LIMIT - 1
    for count in range(settings.SIGNIN_ADDRESS_FAILURE_LIMIT):
        response = through_proxy(f"{network.tag}-forged{count // per_name}", "wrong-Guess-2026", new_address())
    assert response.status_code == 429
    assert through_proxy(clerk.username, PASSWORD, new_address()).status_code == 429
    # Another client (another address appended by the proxy) is not affected.
    assert signed_in(sign_in(client_at(network.village), clerk.username, PASSWORD, "127.0.0.1",
                             HTTP_X_FORWARDED_FOR=f"{seen}, {new_address()}"))

    settings.SIGNIN_TRUSTED_PROXIES = 0
    request = RequestFactory().get("/", REMOTE_ADDR="192.0.2.7", HTTP_X_FORWARDED_FOR=seen)
    assert client_address(request) == "192.0.2.7"
