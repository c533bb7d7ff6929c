"""Neural-network modules built on spokenstyle's operators."""
