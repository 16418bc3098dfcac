"""``python -m cli``: the ``paywave`` command, for a child process started with the running interpreter."""

import sys

from cli import main

sys.exit(main())
