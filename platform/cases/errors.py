"""The one error a case service raises: its message is what the user reads, in Chinese."""


class CaseError(Exception):
    """Refused: nothing was changed. `str(error)` is the message for the user."""
