"""人员与角色 and 部门窗口 (issue 12, "At the window"): a point's admins grant
and revoke roles there through the admin screen, each change recorded; nobody
else can, nor at a sibling or another county; admins seat staff at the desks
of the departments whose items the point adopts."""
from __future__ import annotations

import secrets

import pytest
from django.contrib.auth import get_user_model
from django_tenants.utils import tenant_context

PASSWORD = "Window-Staff-2026"


@pytest.fixture(scope="module")
def network(django_db_setup, django_db_blocker):
    """One network for the module (onboarding six points per test is most of its time);
    each test makes its own people (`_person`)."""
    from tests.conftest import Network

    with django_db_blocker.unblock():
        return Network()


def _person(network, name, point, role):
    return network.user(f"{name}-{secrets.token_hex(3)}", point, role)


def _signed_in(client_at, point, user):
    client = client_at(point)
    client.force_login(user)
    return client


def _held(user, point) -> set[str]:
    from tenants.access import roles_held_at

    return roles_held_at(user, point)


def _text(response) -> str:
    return response.content.decode()


def test_an_admin_grants_an_existing_colleague_a_role_and_revokes_it(network, client_at):
    from wagtail.models import ModelLogEntry

    admin = _person(network, "v-admin", network.village, "admin")
    colleague = _person(network, "t-editor", network.township, "editor")  # an account of the same county
    client = _signed_in(client_at, network.village, admin)

    page = client.get("/admin/people/")
    assert page.status_code == 200 and "人员与角色" in _text(page)
    response = client.post("/admin/people/", {"username": colleague.username, "role": "clerk"}, follow=True)
    assert "已授予" in _text(response)
    assert _held(colleague, network.village) == {"clerk"}
    assert colleague.username in _text(client.get("/admin/people/"))
    # Who granted what is in the point's own audit log (Wagtail's, in its schema).
    with tenant_context(network.village):
        entry = ModelLogEntry.objects.get(action="yimen.role.grant", object_id=str(colleague.pk))
        assert entry.user_id == admin.pk and entry.data["role"] == "clerk"
    with tenant_context(network.other_village):
        assert not ModelLogEntry.objects.filter(action="yimen.role.grant", object_id=str(colleague.pk)).exists()

    # Granting it again changes nothing and says so.
    again = client.post("/admin/people/", {"username": colleague.username, "role": "clerk"})
    assert again.status_code == 400 and "已经是" in _text(again)

    confirm = client.get(f"/admin/people/{colleague.pk}/revoke/clerk/")
    assert confirm.status_code == 200 and "确定撤销" in _text(confirm)
    assert _held(colleague, network.village) == {"clerk"}  # asking is not doing
    client.post(f"/admin/people/{colleague.pk}/revoke/clerk/")
    assert _held(colleague, network.village) == set()
    assert _held(colleague, network.township) == {"editor"}  # the other point's role stays
    with tenant_context(network.village):
        assert ModelLogEntry.objects.filter(action="yimen.role.revoke", object_id=str(colleague.pk),
                                            user_id=admin.pk).exists()


def test_a_new_account_needs_a_name_and_a_password_the_validators_accept(network, client_at):
    admin = _person(network, "v-admin", network.village, "admin")
    client = _signed_in(client_at, network.village, admin)
    username = f"{network.tag}-new-{secrets.token_hex(3)}"
    User = get_user_model()

    weak = client.post("/admin/people/", {"username": username, "full_name": "李小红", "password": "123",
                                          "role": "clerk"})
    assert weak.status_code == 400 and "密码" in _text(weak)
    nameless = client.post("/admin/people/", {"username": username, "password": PASSWORD, "role": "clerk"})
    assert nameless.status_code == 400 and "请填写姓名" in _text(nameless)
    assert not User.objects.filter(username=username).exists()

    client.post("/admin/people/", {"username": username, "full_name": "李小红", "password": PASSWORD,
                                   "role": "clerk"})
    user = User.objects.get(username=username)
    assert user.first_name == "李小红" and user.check_password(PASSWORD)
    assert _held(user, network.village) == {"clerk"}
    # The granted clerk can sign in at the point with that password.
    clerk = client_at(network.village)
    assert clerk.login(username=username, password=PASSWORD)
    assert clerk.get("/admin/").status_code == 200


def test_an_account_of_another_county_cannot_be_picked(network, client_at):
    from tests.conftest import Network

    other = Network()
    stranger = _person(other, "editor", other.village, "editor")
    admin = _person(network, "v-admin", network.village, "admin")
    client = _signed_in(client_at, network.village, admin)
    response = client.post("/admin/people/", {"username": stranger.username, "role": "clerk"})
    assert response.status_code == 400 and "本县服务网络中没有账号" in _text(response)
    assert _held(stranger, network.village) == set()


def test_nobody_revokes_their_own_last_admin_role(network, client_at):
    admin = _person(network, "v-admin", network.village, "admin")
    client = _signed_in(client_at, network.village, admin)
    response = client.post(f"/admin/people/{admin.pk}/revoke/admin/", follow=True)
    assert "不能撤销您自己在" in _text(response) and "最后一个管理员角色" in _text(response)
    assert _held(admin, network.village) == {"admin"}
    # With another admin role at the point (the county's central admin also holds admin), one may go.
    central = _person(network, "c-central", network.county, "central_admin")
    from tenants.roles import grant_role

    grant_role(central, network.county, "admin")
    county = _signed_in(client_at, network.county, central)
    county.post(f"/admin/people/{central.pk}/revoke/admin/")
    assert _held(central, network.county) == {"central_admin"}


def test_a_clerk_cannot_grant_or_revoke(network, client_at):
    clerk = _person(network, "v-clerk", network.village, "clerk")
    editor = _person(network, "v-editor", network.village, "editor")
    client = _signed_in(client_at, network.village, clerk)
    page = client.get("/admin/people/")
    assert page.status_code == 403 and "只有本服务点及其上级的管理员" in _text(page)
    client.post("/admin/people/", {"username": editor.username, "role": "admin"})
    client.post("/admin/people/", {"username": clerk.username, "role": "admin"})
    client.post(f"/admin/people/{editor.pk}/revoke/editor/")
    assert _held(clerk, network.village) == {"clerk"}
    assert _held(editor, network.village) == {"editor"}


def test_an_admin_of_a_sibling_point_cannot_grant_or_revoke_here(network, client_at):
    sibling_admin = _person(network, "v2-admin", network.other_village, "admin")
    editor = _person(network, "v-editor", network.village, "editor")
    # At the village's host: no role there, nothing changes.
    at_village = _signed_in(client_at, network.village, sibling_admin)
    at_village.post("/admin/people/", {"username": sibling_admin.username, "role": "admin"})
    at_village.post(f"/admin/people/{editor.pk}/revoke/editor/")
    # At their own host: the screen acts only there, and knows nothing of the village's staff.
    at_own = _signed_in(client_at, network.other_village, sibling_admin)
    assert at_own.get(f"/admin/people/{editor.pk}/revoke/editor/").status_code == 404
    at_own.post(f"/admin/people/{editor.pk}/revoke/editor/")
    assert editor.username not in _text(at_own.get("/admin/people/"))
    assert _held(sibling_admin, network.village) == set()
    assert _held(editor, network.village) == {"editor"}


def test_an_admin_above_manages_a_village_and_only_central_admins_grant_central_admin(network, client_at):
    township_admin = _person(network, "t-admin", network.township, "admin")
    editor = _person(network, "t-editor", network.township, "editor")
    client = _signed_in(client_at, network.village, township_admin)
    client.post("/admin/people/", {"username": editor.username, "role": "supervisor"})
    assert _held(editor, network.village) == {"supervisor"}

    county_admin = _person(network, "c-admin", network.county, "admin")
    at_county = _signed_in(client_at, network.county, county_admin)
    assert 'value="central_admin"' not in _text(at_county.get("/admin/people/"))
    refused = at_county.post("/admin/people/", {"username": editor.username, "role": "central_admin"})
    assert refused.status_code == 400
    assert _held(editor, network.county) == set()
    # Not offered below the county even to a central admin (the role exists only there).
    central = _person(network, "c-central", network.county, "central_admin")
    at_village = _signed_in(client_at, network.village, central)
    assert 'value="central_admin"' not in _text(at_village.get("/admin/people/"))
    by_central = _signed_in(client_at, network.county, central)
    by_central.post("/admin/people/", {"username": editor.username, "role": "central_admin"})
    assert _held(editor, network.county) == {"central_admin"}


# --- 部门窗口 ------------------------------------------------------------------

def test_an_admin_seats_staff_at_a_department_desk(network, client_at):
    from cases import access as case_access
    from cases.models import DeskAssignment

    admin = _person(network, "c-admin", network.county, "admin")
    clerk = _person(network, "c-clerk", network.county, "clerk")
    outsider = _person(network, "t-clerk", network.township, "clerk")
    client = _signed_in(client_at, network.county, admin)
    page = client.get("/admin/desks/")
    assert page.status_code == 200 and "民政局" in _text(page)  # a department of an item the county adopts

    response = client.post("/admin/desks/", {"username": clerk.username, "department": "民政局"}, follow=True)
    assert "已安排" in _text(response)
    assert case_access.at_desk(clerk, network.county, "民政局")

    twice = client.post("/admin/desks/", {"username": clerk.username, "department": "民政局"})
    unknown = client.post("/admin/desks/", {"username": clerk.username, "department": "不存在的局"})
    stranger = client.post("/admin/desks/", {"username": outsider.username, "department": "民政局"})
    assert twice.status_code == unknown.status_code == stranger.status_code == 400
    assert "已在民政局窗口" in _text(twice) and "没有实施部门" in _text(unknown)
    assert "不是测试county的工作人员" in _text(stranger)
    desk = DeskAssignment.objects.of_point(network.county).get(user=clerk)
    # Another point's admin cannot see or remove it.
    village_admin = _person(network, "v-admin", network.village, "admin")
    at_village = _signed_in(client_at, network.village, village_admin)
    assert at_village.get(f"/admin/desks/{desk.pk}/remove/").status_code == 404
    at_village.post(f"/admin/desks/{desk.pk}/remove/")
    assert DeskAssignment.objects.filter(pk=desk.pk).exists()
    # A clerk cannot seat anyone.
    as_clerk = _signed_in(client_at, network.county, clerk)
    assert as_clerk.post("/admin/desks/", {"username": clerk.username, "department": "民政局"}).status_code == 403

    assert client.get(f"/admin/desks/{desk.pk}/remove/").status_code == 200
    client.post(f"/admin/desks/{desk.pk}/remove/")
    assert not case_access.at_desk(clerk, network.county, "民政局")


def test_revoking_the_last_role_at_a_point_leaves_its_desks(network, client_at):
    from cases import access as case_access
    from cases import desks

    admin = _person(network, "c-admin", network.county, "admin")
    clerk = _person(network, "c-clerk", network.county, "clerk")
    desks.assign(admin, network.county, clerk.username, "民政局")
    client = _signed_in(client_at, network.county, admin)
    client.post(f"/admin/people/{clerk.pk}/revoke/clerk/")
    assert _held(clerk, network.county) == set()
    assert not case_access.at_desk(clerk, network.county, "民政局")


def test_a_role_granted_or_revoked_counts_at_once_within_a_request(network):
    """While a request is served, roles asked are kept (an admin page asks many
    times): a grant or a revocation in that request must not leave them stale,
    and outside a request nothing is kept."""
    from tenants.access import can_act_at, roles_at, roles_held_at, roles_kept_for_request
    from tenants.roles import grant_role, revoke_role

    user = get_user_model().objects.create_user(f"kept-{secrets.token_hex(3)}", password=PASSWORD)
    with roles_kept_for_request():
        assert not can_act_at(user, network.village)
        grant_role(user, network.village, "clerk")
        assert roles_at(user, network.village) == {"clerk"}
        grant_role(user, network.township, "supervisor")  # reaches down to the village
        assert roles_at(user, network.village) == {"clerk", "supervisor"}
        assert roles_held_at(user, network.village) == {"clerk"}
        revoke_role(user, network.village, "clerk")
        assert roles_held_at(user, network.village) == set()
        revoke_role(user, network.township, "supervisor")
        assert not can_act_at(user, network.village)
    # Outside a request (a task, a command, a script): every question reads the database.
    assert roles_at(user, network.village) == set()
    user.groups.add(network.village.role_groups.get(role="clerk").group)
    assert roles_at(user, network.village) == {"clerk"}
