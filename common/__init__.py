"""What the apps share, below them all: Excel downloads, optimistic locking, paging, command options,
the request middleware, the error pages and the icons ({% load icons %}). It imports Django, libraries
and the standard library, never a domain app (common/tests/test_layering.py keeps it so)."""
