"""Pixels in and out: reading and writing photos (:mod:`.imageio`), colour spaces and
colour keeping (:mod:`.color`), masks (:mod:`.masks`) and tiles for large photos (:mod:`.tiling`)."""
