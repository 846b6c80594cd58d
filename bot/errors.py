"""Errors that carry a message meant for the person who ran a command."""


class UserError(Exception):
    """Bad input or nothing found: shown to the user as an ephemeral message."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
