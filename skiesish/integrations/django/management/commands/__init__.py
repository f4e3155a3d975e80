"""``manage.py skiesish_check``."""
