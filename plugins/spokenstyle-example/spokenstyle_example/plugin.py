"""The plugin module: the entry point ``example`` in group ``spokenstyle`` names it.

Keep this module light: it is imported whenever spokenstyle lists its plugins. Factories are
``"module:attr"`` strings, so :mod:`.components` (and torch) is imported only when a component
is first used. Component names must not be built-in ones (``spokenstyle plugins --all`` lists
them); prefixing them with the plugin's name avoids clashes with other plugins too."""

import spokenstyle


@spokenstyle.hookimpl
def register_text_encoders(register):
    register("example-emoji", "spokenstyle_example.components:EmojiEncoder",
             description="example: emoji to a look (☀️ warmer, ❄️ cooler, 🌙 darker, 🎞️ film)")


@spokenstyle.hookimpl
def register_generators(register):
    register("example-levels", "spokenstyle_example.components:Levels",
             description="example: posterize to a number of levels per channel")


@spokenstyle.hookimpl
def register_style_backends(register):
    register("example-posterize", "spokenstyle_example.components:PosterizeBackend",
             description="example: flat colour bands (uses the example-levels generator)", aliases=("example-poster",))


@spokenstyle.hookimpl
def register_commands(cli):
    from .components import run_emoji  # cheap: components imports torch only inside functions

    p = cli.add_command("example-emoji", run_emoji, help="example: show what the emoji encoder reads in a prompt")
    p.add_argument("prompt", help="text with emoji, e.g. '☀️🎞️'")
    p.add_argument("--json", action="store_true", help="print the StyleIntent as JSON")
