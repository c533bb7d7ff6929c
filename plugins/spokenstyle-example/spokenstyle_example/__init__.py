"""spokenstyle-example: the smallest complete spokenstyle plugin, one component of each kind.

Copy this folder to start a plugin. Read it in this order: ``pyproject.toml`` (the entry
point), :mod:`.plugin` (the hooks: what is registered, under which names, lazily),
:mod:`.components` (the components, each written against :mod:`spokenstyle.plugins.protocols`), and
``tests/`` (testing in-process with :mod:`spokenstyle.plugins.testing`, and installed)."""

__version__ = "0.1.0"
