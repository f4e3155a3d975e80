"""Django: skiesish's health checks as a Django app, ``"skiesish.integrations.django"`` in ``INSTALLED_APPS``.

Install the extra: ``pip install 'skiesish[django]'``. docs/django.md
explains the settings, the URLs and the checks.

- :mod:`.checks`: Django-native checks (databases, caches, storages, mail,
  migrations, Django's system checks), usable in any skiesish check list.
- :mod:`.urls`: ``/livez``, ``/readyz``, ``/startupz`` and the full report
  at the include's root, configured by the ``SKIESISH`` setting.
- :mod:`.views`: :class:`~.views.HealthView`, for routing a probe yourself.
- :mod:`.application`: the process's engine, and the probes for a probe listener.
- ``manage.py skiesish_check``: probe once; exit 0 healthy, 1 unhealthy, 2 a mistake.

Nothing is imported here but Django itself, so that a missing extra is said plainly.
"""

from ...extras import import_extra

import_extra("django", "django", "skiesish.integrations.django")
