"""Runnable skiesish applications; each is exercised by tests/test_examples.py."""
