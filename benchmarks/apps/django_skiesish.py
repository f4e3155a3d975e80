"""skiesish's ``HealthView`` for /readyz, routed as the bare view is, running the cache check, cached (27 s).

The same view reached through ``include("skiesish.integrations.django.urls")`` is
``apps/django_skiesish_include.py``: Django's nested URL resolution costs a little more.
"""

from __future__ import annotations

from apps.django_common import configure

configure(__name__, ["skiesish.integrations.django"], SKIESISH={"ready": ["cache"], "startup": []})

from django.core.wsgi import get_wsgi_application  # noqa: E402 - after configure()
from django.urls import path  # noqa: E402

from skiesish.integrations.django.views import HealthView  # noqa: E402

urlpatterns = [path("health/readyz", HealthView.as_view(probe="ready"))]

application = get_wsgi_application()
