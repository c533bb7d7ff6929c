"""The ``spokenstyle`` command line: the parser, the plugin commands' registry and ``main``.

    spokenstyle stylize photo.jpg -p "暖一点，对比度高一点" -o out.png [--json]
    spokenstyle explain "moody but not too dark" [--json]
    spokenstyle sheet photo.jpg -o sheet.jpg       (every built-in medium and a row of looks, labelled)
    spokenstyle eval photo.jpg painting.jpg out.png
    spokenstyle train adain|transform ...
    spokenstyle plugins [--all] [--json]
    spokenstyle doctor [--json]

Each built-in command is one module of this package (:data:`BUILTIN_COMMANDS`, imported when
the parser is built) with ``add_commands(cli)``; third-party plugins add theirs with the
``register_commands(cli)`` hook, where ``cli`` is a :class:`CommandRegistry`.

A user mistake (a SpokenstyleError, or a bad option) prints one line on stderr and exits with
code 2, never a traceback, and leaves no partial output file; so does a bug, said as an
"internal error" (SPOKENSTYLE_DEBUG=1 shows its traceback).
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import os
import sys
import warnings
from typing import Any, Callable, Iterator

from ..errors import SpokenstyleError
from .output import cli_words, format_warning, printable, safe_streams

#: The built-in commands, by module; each has ``add_commands(cli)``. Listed here, in help order,
#: and imported when the parser is built, so no plugin hook carries them.
BUILTIN_COMMANDS = (
    "spokenstyle.cli.stylize",
    "spokenstyle.cli.explain",
    "spokenstyle.cli.plugins",
    "spokenstyle.cli.doctor",
    "spokenstyle.cli.train",
    "spokenstyle.cli.eval",
    "spokenstyle.cli.sheet",
)


class _Parser(argparse.ArgumentParser):
    """argparse with one-line usage errors (exit code 2); help output is unchanged."""

    def error(self, message: str):  # type: ignore[override]
        self.exit(2, f"{self.prog}: error: {message} (see '{self.prog} --help')\n")


class CommandRegistry:
    """What the ``register_commands(cli)`` hook receives: a small face over argparse.

    Use :meth:`add_command`, then add arguments to the parser it returns::

        @spokenstyle.hookimpl
        def register_commands(cli):
            p = cli.add_command("hello", run_hello, help="say hello")
            p.add_argument("--name", default="world")

        def run_hello(args):       # args: the argparse.Namespace
            print("hello", args.name)
            return 0               # the exit code (None means 0)

    ``subparsers`` is the underlying argparse sub-parsers object for anything else.
    Command names are unique; the built-in ones are reserved.
    """

    def __init__(self, subparsers: Any) -> None:
        self.subparsers = subparsers
        self._owners: dict[str, str] = {}
        self._owner = "spokenstyle"

    @contextlib.contextmanager
    def owned_by(self, plugin: str) -> Iterator["CommandRegistry"]:
        previous, self._owner = self._owner, plugin
        try:
            yield self
        finally:
            self._owner = previous

    @property
    def commands(self) -> dict[str, str]:
        """command name -> the plugin that added it."""
        return dict(self._owners)

    def add_command(
        self,
        name: str,
        func: Callable[[argparse.Namespace], int | None],
        *,
        help: str = "",
        description: str | None = None,
        aliases: tuple[str, ...] = (),
    ) -> argparse.ArgumentParser:
        from ..plugins.manager import PluginConflictError

        for key in (name, *aliases):
            if key in self._owners:
                other = self._owners[key]
                if other == "spokenstyle":  # a built-in command
                    raise PluginConflictError(
                        f"plugin '{self._owner}' adds the command '{key}', which is built into spokenstyle; "
                        "built-in names are reserved, so the plugin must rename it"
                    )
                raise PluginConflictError(
                    f"command '{key}' is added by two plugins: '{other}' and '{self._owner}'; "
                    "uninstall one, or choose with SPOKENSTYLE_LOAD_PLUGINS"
                )
        parser = self.subparsers.add_parser(
            name, help=help, description=description or help, aliases=list(aliases)
        )
        parser.set_defaults(func=func, command=name)
        for key in (name, *aliases):
            self._owners[key] = self._owner
        return parser


def build_parser(*, plugins: bool = True) -> argparse.ArgumentParser:
    """The full parser: the built-in commands (:data:`BUILTIN_COMMANDS`, each module imported
    now), then those third-party plugins add with ``register_commands``. Every command's
    ``args.commands`` is {command: who added it} ("spokenstyle" for the built-in ones)."""
    from .._version import __version__

    parser = _Parser(prog="spokenstyle", description="Stylize photos from everyday words (English or Chinese).")
    parser.add_argument("--version", action="version", version=f"spokenstyle {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    cli = CommandRegistry(sub)
    for module in BUILTIN_COMMANDS:
        importlib.import_module(module).add_commands(cli)
    if plugins:
        from ..plugins.manager import get_plugin_manager

        get_plugin_manager().call_commands(cli)
    parser.set_defaults(commands=cli.commands)
    return parser


def _rewrite_argv(argv: list[str]) -> list[str]:
    """A built-in command may read its raw arguments first (``stylize --preserve-color photo.jpg``)."""
    for module in BUILTIN_COMMANDS:
        rewrite = getattr(importlib.import_module(module), "rewrite_argv", None)
        if rewrite is not None:
            argv = rewrite(argv)
    return argv


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit code: 0 done, 1 a batch where some photos failed
    (each named), 2 a mistake or failure, said in one line on stderr, 130 interrupted."""
    original_format = warnings.formatwarning
    command = "spokenstyle"
    try:
        warnings.formatwarning = format_warning  # one line per warning, no source excerpt
        safe_streams()
        parser = build_parser()
        args = parser.parse_args(_rewrite_argv(list(sys.argv[1:] if argv is None else argv)))
        command = f"spokenstyle {args.command}"
        return int(args.func(args) or 0)
    except SpokenstyleError as exc:
        print(printable(f"{command}: error: {cli_words(str(exc))}"), file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("spokenstyle: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 1
    except Exception as exc:  # noqa: BLE001 - a bug: one line, not a traceback (unless asked)
        if os.environ.get("SPOKENSTYLE_DEBUG", "").strip() not in ("", "0"):
            raise
        detail = " ".join(str(exc).split())[:300]
        print(
            printable(
                f"{command}: error: internal error: {type(exc).__name__}: {detail} (a bug; please report it, "
                "with the traceback SPOKENSTYLE_DEBUG=1 shows)"
            ),
            file=sys.stderr,
        )
        return 2
    finally:
        warnings.formatwarning = original_format
