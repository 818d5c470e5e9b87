"""Authentication and permissions scoped to the point the request is at.

Role groups are global rows (auth is shared), so a group's permissions count
only at its own point, or below it for ROLES_REACHING_DOWN. Signing in is
refused where the user holds no role: signing in at A gives nothing at B.
"""
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Permission

from . import access
from .scope import current_point  # None in the public schema: no point, no roles


class PointRoleBackend(ModelBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        user = super().authenticate(request, username=username, password=password, **kwargs)
        if user is not None and access.can_act_at(user, current_point()):
            return user
        return None

    def get_user(self, user_id):
        user = super().get_user(user_id)
        # A session whose user lost every role here stops working here.
        if user is not None and access.can_act_at(user, current_point()):
            return user
        return None

    def get_user_permissions(self, user_obj, obj=None):
        return set()  # permissions come from role groups only

    def get_group_permissions(self, user_obj, obj=None):
        return self._point_permissions(user_obj, obj)

    def get_all_permissions(self, user_obj, obj=None):
        # ModelBackend caches this on the user object under one name for every
        # point; ours is cached per schema.
        return self._point_permissions(user_obj, obj)

    def _point_permissions(self, user_obj, obj):
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        point = current_point()
        if point is None:
            return set()
        cache_name = f"_yimen_perm_cache_{point.schema_name}"
        if not hasattr(user_obj, cache_name):
            perms = Permission.objects.filter(
                group__user=user_obj, group__point_group__in=access.authority_groups(point)
            ).values_list("content_type__app_label", "codename")
            setattr(user_obj, cache_name, {f"{app}.{code}" for app, code in perms})
        return getattr(user_obj, cache_name)
