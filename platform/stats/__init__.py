"""Statistics of cases per point, rolled up the hierarchy (issue 14)."""
