"""Settings shared by every test of the repository.

Under CI (``CI=true``) hypothesis runs derandomized, so a run's result depends only on the
code: a property that can fail fails every time, and main cannot turn red by chance. Locally
it explores new examples on every run.
"""

from __future__ import annotations

import os

from hypothesis import settings

settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI") == "true":
    settings.load_profile("ci")
