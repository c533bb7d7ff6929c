"""Exceptions for user mistakes: each message names the argument and the fix."""


class SpokenstyleError(Exception):
    """Base class of the errors spokenstyle raises for bad input; the CLI prints one line, exit 2."""


class UsageError(SpokenstyleError, ValueError):
    """An argument is wrong (bad path, unknown plugin, wrong shape...)."""


class WeightsError(UsageError):
    """A weights file is missing, unreadable, for another architecture, or for another encoder."""
