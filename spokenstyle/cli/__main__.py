"""``python -m spokenstyle.cli``: the ``spokenstyle`` command."""

import sys

from .main import main

sys.exit(main())
