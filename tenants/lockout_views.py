"""The admin page of sign-in locks (县中心管理员 only): list them, lift one."""
from django.contrib import messages
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.views.decorators.http import require_http_methods

from . import access, lockouts

DENIED = "只有县中心管理员可以查看和解除登录锁定。"


@require_http_methods(["GET", "POST"])
def sign_in_locks(request):
    point = getattr(request, "point", None)
    if not access.may_lift_sign_in_locks(request.user, point):
        # A page of its own (Wagtail would turn PermissionDenied into a redirect home).
        return TemplateResponse(request, "tenants/admin/lockouts.html", {"denied": DENIED}, status=403)
    if request.method == "POST":
        kind, key = request.POST.get("kind"), request.POST.get("key", "").strip()
        if kind == "account" and lockouts.lift_account_lock(point, key, by=request.user):
            messages.success(request, f"已解除账号“{key}”的登录锁定。")
        elif kind == "address" and lockouts.lift_address_lock(point, key, by=request.user):
            messages.success(request, f"已解除地址 {key} 的登录锁定。")
        else:
            messages.error(request, "没有找到这项锁定，未做任何更改。")
        return redirect("yimen_sign_in_locks")
    return TemplateResponse(request, "tenants/admin/lockouts.html", {
        "accounts": lockouts.locked_accounts(point),
        "addresses": lockouts.locked_addresses(),
    })
