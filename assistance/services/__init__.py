"""Writes of the assistance app, one module per concern."""
