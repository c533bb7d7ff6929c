"""The version, in a module of its own so that any module may read it without importing the
package back (``spokenstyle/__init__`` imports the operators, which report it)."""

__version__ = "0.1.0"
