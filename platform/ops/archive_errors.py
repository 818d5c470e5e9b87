"""The one error of point export, delete and import (own module: the checks and the archive code share it)."""


class ArchiveError(Exception):
    """A problem an operator must fix; the message says what, in Chinese first."""
