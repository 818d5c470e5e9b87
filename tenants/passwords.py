"""Password rules for every path that sets a password (AUTH_PASSWORD_VALIDATORS).

Onboarding, the admin's forms and Wagtail's account and user forms all call
Django's validate_password; this module only fixes a message.
"""
from django.contrib.auth import password_validation
from django.utils.translation import ngettext


class MinimumLengthValidator(password_validation.MinimumLengthValidator):
    """Django's validator with its message in Chinese.

    Django 5.2 changed the message's msgid and its zh-hans catalogue still
    translates only the older one, so the stock validator answers in English.
    """

    def get_error_message(self):
        return ngettext(
            "This password is too short. It must contain at least %(min_length)d character.",
            "This password is too short. It must contain at least %(min_length)d characters.",
            self.min_length,
        ) % {"min_length": self.min_length}
