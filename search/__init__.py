"""Catalogue search: one interface (search.service), two backends (PostgreSQL, Elasticsearch)."""
