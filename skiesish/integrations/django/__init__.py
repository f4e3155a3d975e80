"""Django: skiesish's health checks as a Django app (add ``"skiesish.integrations.django"`` to ``INSTALLED_APPS``).

Install the extra: ``pip install 'skiesish[django]'``. docs/django.md
explains the settings, the URLs and the checks.
"""
