"""What belongs to point A never appears at point B: users, sessions, cached
values, uploaded files; and an unknown host is a 404."""
import pytest
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django_tenants.utils import tenant_context
from wagtail.models import Site

from tenants import access
from tenants.models import Role

PASSWORD = "pass-Word-2026"


@pytest.fixture
def network(shared_network):
    """One network for the module (conftest.shared_network): each test signs in users,
    stores files and sessions of its own."""
    return shared_network


def _login_page_shown(response) -> bool:
    return response.status_code == 302 and "/admin/login/" in response["Location"]


def test_unknown_host_is_404_and_public_host_lists_the_network(network, client_at):
    from django.test import Client

    assert Client(HTTP_HOST="no-such-point.localhost").get("/").status_code == 404
    assert Client(HTTP_HOST="evil.example.com").get("/").status_code in (400, 404)
    directory = client_at(None).get("/")
    assert directory.status_code == 200
    assert network.village.name in directory.content.decode()
    assert f"http://{network.village.primary_host}" in directory.content.decode()


def test_a_user_of_point_a_cannot_sign_in_at_point_b(network, client_at):
    network.user("editor", network.village, Role.EDITOR)
    username = f"{network.tag}-editor"
    assert client_at(network.village).login(username=username, password=PASSWORD)
    assert not client_at(network.other_village).login(username=username, password=PASSWORD)
    # Nor at the village's own parent: roles do not reach upwards.
    assert not client_at(network.township).login(username=username, password=PASSWORD)


def test_a_session_of_point_a_is_nothing_at_point_b(network, client_at):
    network.user("clerk", network.village, Role.CLERK)
    at_a = client_at(network.village)
    assert at_a.login(username=f"{network.tag}-clerk", password=PASSWORD)
    assert at_a.get("/admin/").status_code == 200
    # The same session cookie presented at B names no session there.
    at_b = client_at(network.other_village)
    at_b.cookies = at_a.cookies
    assert _login_page_shown(at_b.get("/admin/"))
    # And a point's admin is closed to anyone without a role there.
    stranger = client_at(network.other_village)
    assert _login_page_shown(stranger.get("/admin/"))


def test_township_admin_acts_below_without_second_password_but_not_beside(network, client_at):
    admin = network.user("town-admin", network.township, Role.ADMIN)
    assert access.can_act_at(admin, network.village)
    assert not access.can_act_at(admin, network.other_village)
    assert not access.can_act_at(admin, network.county)

    at_town = client_at(network.township)
    assert at_town.login(username=admin.username, password=PASSWORD)
    hop = at_town.post(f"/go/{network.village.slug}/")
    assert hop.status_code == 302 and hop["Location"].startswith(f"http://{network.village.primary_host}")
    path = hop["Location"].split(network.village.primary_host, 1)[1]
    at_village = client_at(network.village)
    assert at_village.get(path).status_code == 200  # asks first (tests/test_enter_point.py)
    landed = at_village.post(path)
    assert landed.status_code == 302 and landed["Location"] == "/admin/"
    assert at_village.get("/admin/").status_code == 200
    # The entry link works once only.
    assert client_at(network.village).post(path).status_code == 403
    # Beside it: refused, and no link is made.
    assert at_town.post(f"/go/{network.other_village.slug}/").status_code == 403


def test_permissions_count_only_where_the_role_is(network):
    editor = network.user("perm-editor", network.village, Role.EDITOR)
    with tenant_context(network.village):
        assert editor.has_perm("wagtailadmin.access_admin")
        assert editor.has_perm("wagtailimages.add_image")
    fresh = type(editor).objects.get(pk=editor.pk)  # no per-object cache carried over
    with tenant_context(network.other_village):
        assert not fresh.has_perm("wagtailadmin.access_admin")
        assert not fresh.has_perm("wagtailimages.add_image")


def test_cached_site_root_paths_are_per_point(network):
    """Wagtail caches site root paths under one fixed key; without a tenant-aware
    key function, B would be served A's URLs."""
    with tenant_context(network.village):
        cache.delete("wagtail_site_root_paths")
        paths_a = Site.get_site_root_paths()
    with tenant_context(network.other_village):
        paths_b = Site.get_site_root_paths()
        home_b = Site.objects.get().root_page
        assert home_b.get_url() is not None
        assert home_b.full_url.startswith(f"http://{network.other_village.primary_host}")
    assert paths_a[0].root_url == f"http://{network.village.primary_host}"
    assert paths_b[0].root_url == f"http://{network.other_village.primary_host}"
    with tenant_context(network.village):
        assert Site.get_site_root_paths()[0].root_url == f"http://{network.village.primary_host}"


def test_an_uploaded_file_of_point_a_is_not_served_at_point_b(network, client_at):
    with tenant_context(network.village):
        name = default_storage.save("uploads/notice.txt", ContentFile("文昌社区通知".encode()))
        url = default_storage.url(name)
        assert f"/{network.village.schema_name}/" in default_storage.path(name)
    at_a = client_at(network.village).get(url)
    assert at_a.status_code == 200
    assert b"".join(at_a.streaming_content).decode() == "文昌社区通知"
    assert client_at(network.other_village).get(url).status_code == 404
    with tenant_context(network.other_village):
        assert not default_storage.exists(name)


def test_grant_role_command_gives_and_takes_a_role(network, client_at):
    import pytest
    from django.core.management import CommandError, call_command

    user = network.user("cmd", network.other_village, Role.CLERK)
    assert not access.can_act_at(user, network.village)
    call_command("grant_role", user.username, network.village.slug, "editor")
    assert access.roles_at(user, network.village) == {"editor"}
    call_command("grant_role", user.username, network.village.slug, "editor", "--revoke")
    assert not access.can_act_at(user, network.village)
    with pytest.raises(CommandError, match="没有“中心管理员”岗位"):
        call_command("grant_role", user.username, network.village.slug, "central_admin")
    with pytest.raises(CommandError, match="不存在"):
        call_command("grant_role", "nobody-at-all", network.village.slug, "editor")


def test_expired_sessions_are_cleared_in_every_point(network, client_at):
    from datetime import timedelta

    from django.contrib.sessions.models import Session
    from django.utils import timezone

    from tenants.tasks import clear_expired_sessions

    network.user("sess", network.village, Role.CLERK)
    client = client_at(network.village)
    assert client.login(username=f"{network.tag}-sess", password=PASSWORD)
    with tenant_context(network.village):
        Session.objects.update(expire_date=timezone.now() - timedelta(days=1))
        assert Session.objects.exists()
    clear_expired_sessions()
    with tenant_context(network.village):
        assert not Session.objects.exists()
    assert _login_page_shown(client.get("/admin/"))
