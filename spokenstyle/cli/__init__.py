"""The ``spokenstyle`` command line: one module per command, the parser and ``main`` in
:mod:`spokenstyle.cli.main` (the console script ``spokenstyle = "spokenstyle.cli:main"``)."""

from .main import BUILTIN_COMMANDS, CommandRegistry, build_parser, main  # noqa: F401

__all__ = ["BUILTIN_COMMANDS", "CommandRegistry", "build_parser", "main"]
