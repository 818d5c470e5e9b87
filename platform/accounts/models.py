"""The network-wide account.

Accounts are deactivated, never deleted: points' tables name users without a
database constraint (yimen.db says why), and Django's own cascade could not
reach into every point's schema, so a deleted user would leave dangling names
in case and page histories.
"""
from typing import ClassVar

from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.db.models.deletion import ProtectedError


def _refuse(users) -> None:
    names = "、".join(u.username for u in users[:5])
    raise ProtectedError(f"用户“{names}”不能删除，请改为停用（取消“有效”）。", set(users))


class AccountQuerySet(models.QuerySet["User"]):
    def delete(self):
        _refuse(list(self))


class AccountManager(UserManager["User"]):
    # Every query starts from AccountQuerySet, so a bulk delete refuses too.
    # (Spelled out rather than UserManager.from_queryset, which django-stubs
    # cannot follow from the module of the custom user model.)
    def get_queryset(self) -> AccountQuerySet:
        return AccountQuerySet(self.model, using=self._db)


class User(AbstractUser):
    objects: ClassVar[AccountManager] = AccountManager()

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"
        verbose_name = "账号"
        verbose_name_plural = "账号"

    def delete(self, *args, **kwargs):
        _refuse([self])
