"""The drop-in's management commands."""
