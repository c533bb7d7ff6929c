"""spokenstyle-clip: CLIP and Chinese-CLIP text encoders and a CLIP-guided style backend for
spokenstyle (transformers). Importing this package imports neither torch nor transformers: the
plugin module registers lazy ``"module:attr"`` factories."""

__version__ = "0.1.0"
