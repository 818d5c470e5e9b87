"""The one error of point export, delete and import (own module: the checks, the archive
code and tenants.deletion share it)."""


class ArchiveError(Exception):
    """A problem an operator must fix; the message says what, in Chinese first."""
