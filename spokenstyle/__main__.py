"""``python -m spokenstyle`` (and ``torchrun -m spokenstyle``): the ``spokenstyle`` command."""

import sys

from .cli.main import main

sys.exit(main())
