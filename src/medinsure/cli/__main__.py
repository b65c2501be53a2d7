"""``python -m medinsure.cli``: the command line."""

from __future__ import annotations

import sys

from medinsure.cli.main import main

sys.exit(main())
