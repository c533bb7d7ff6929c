"""Training of the networks spokenstyle ships (``spokenstyle train ...``)."""
