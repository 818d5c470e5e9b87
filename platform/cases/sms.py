"""The SMS provider interface.

A provider sends one notice's text to one phone. The demo and test provider
writes the message to a table (`SmsMessage`, one row per notice: a second send
of the same notice fails on its unique key) and to the console, in the same
transaction that marks the notice delivered, so a message is recorded exactly
once however often a worker dies. A real gateway cannot join that transaction:
it gets the notice's key as its idempotency key, and delivery is at least once
from our side, exactly once where the gateway honours the key.
"""
from __future__ import annotations

import logging
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string

from .identity import mask_phone
from .models import Notice, SmsMessage

log = logging.getLogger("yimen.sms")


class SmsProvider(Protocol):
    def send(self, notice: Notice) -> None:
        """Send `notice.text` to `notice.phone`; raise to have it retried later."""

    def send_code(self, phone: str, text: str) -> None:
        """Send a one-time sign-in code now (no outbox: a code is worth nothing
        once late, and the citizen simply asks again); raise when it failed."""


class TableProvider:
    """Demo and tests: the message goes to the SmsMessage table and the console."""

    def send(self, notice: Notice) -> None:
        SmsMessage.objects.create(notice=notice, phone=notice.phone, text=notice.text)
        log.info("短信 → %s：%s", mask_phone(notice.phone), notice.text)

    def send_code(self, phone: str, text: str) -> None:
        # The demo prints the code to the console, where whoever runs it can read it.
        SmsMessage.objects.create(notice=None, phone=phone, text=text)
        log.info("短信 → %s：%s", mask_phone(phone), text)


def provider() -> SmsProvider:
    return import_string(settings.CASES_SMS_PROVIDER)()
