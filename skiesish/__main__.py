"""``python -m skiesish``: the same as the ``skiesish`` command."""

import sys

from .cli import main

sys.exit(main())
