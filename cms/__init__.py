"""Wagtail pages of each service point (tenant schemas only)."""
