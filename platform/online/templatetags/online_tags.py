"""Template helpers for the network host's pages (online/base.html)."""
from django import template

from cases import identity
from online.session import current_account

register = template.Library()


@register.simple_tag(takes_context=True)
def citizen_account(context):
    """The signed-in citizen's account (or None), for the header of every page."""
    request = context.get("request")
    return current_account(request) if request is not None else None


@register.filter
def mask_phone(phone: str) -> str:
    """138****5678: the header shows who is signed in without the whole number."""
    return identity.mask_phone(phone) if phone else ""
