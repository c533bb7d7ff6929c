"""spokenstyle: describe a look in everyday words and get your photo back in that look.

Importing the package registers the compiled operators (``torch.ops.spokenstyle.*``) and stays
light: no transformers and no plugin's heavy imports happen here.
"""

__version__ = "0.1.0"

from . import ops  # noqa: E402  (registers torch.ops.spokenstyle)

__all__ = ["__version__", "ops"]
