"""The hooks spokenstyle finds through the entry point ``clip`` (group ``spokenstyle``).

Factories are lazy strings: listing plugins imports nothing heavy; transformers is imported
when an encoder or the backend is first created."""

import spokenstyle


@spokenstyle.hookimpl
def register_text_encoders(register):
    register("clip", "spokenstyle_clip.encoder:ClipTextEncoder",
             description="CLIP text features (transformers CLIPModel; SPOKENSTYLE_CLIP_MODEL), mapped to media and looks")
    register("chinese-clip", "spokenstyle_clip.encoder:ChineseClipTextEncoder", aliases=("chinese_clip",),
             description="Chinese-CLIP text features (ChineseCLIPModel; SPOKENSTYLE_CHINESE_CLIP_MODEL)")


@spokenstyle.hookimpl
def register_style_backends(register):
    register("clip", "spokenstyle_clip.backend:ClipBackend",
             description="text-guided optimisation (CLIPstyler): patch-wise directional CLIP loss + content + TV")
