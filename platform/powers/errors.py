class GrantError(Exception):
    """Refused: nothing was changed. `str(error)` is the message for the user, in Chinese."""
