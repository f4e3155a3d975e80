"""``manage.py health_check``, as django-health-check has it."""
