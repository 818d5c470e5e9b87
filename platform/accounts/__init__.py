"""One account across the network (roles per point live in tenants)."""
