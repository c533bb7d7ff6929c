"""Exceptions for user mistakes: each message names the argument and the fix."""


class SpokenstyleError(Exception):
    """Base class of the errors spokenstyle raises for bad input; the CLI prints one line, exit 2."""


class UsageError(SpokenstyleError, ValueError):
    """An argument is wrong (bad path, unknown plugin, wrong shape...)."""


class WeightsError(UsageError):
    """A weights file is missing, unreadable, for another architecture, or for another encoder."""


class BackendError(UsageError):
    """A style backend raised, or returned something that is not a picture (wrong shape or
    size, NaN, out of range); the message names the backend and the plugin it came from.
    (A UsageError, as a wrong backend output always was: the fix is another backend.)"""
