"""Small filters of the workbench's templates."""
from django import template

register = template.Library()


@register.filter
def absolute(value):
    """Days overdue are shown as a count, not a negative number."""
    return abs(value) if isinstance(value, int) else value


@register.filter
def get(mapping, key):
    return mapping.get(key, "") if hasattr(mapping, "get") else ""
