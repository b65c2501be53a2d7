"""A real headless Chromium for the tests of what is rendered (Debian's package; .ci/run installs it).

Without it a test is skipped on a developer's machine, but fails under ``CI=true``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def chromium(profile: Path, *arguments: str, timeout: float = 120) -> bytes:
    """Run headless Chromium with a profile of its own and no network but what it is pointed at; its output."""
    if CHROMIUM is None:
        if os.environ.get("CI") == "true":
            pytest.fail("Chromium is not installed; .ci/run installs Debian's chromium package")
        pytest.skip("Chromium is not installed (apt-get install chromium fonts-wqy-zenhei)")
    done = subprocess.run(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
            f"--user-data-dir={profile}",
            *arguments,
        ],
        check=True,
        capture_output=True,
        timeout=timeout,
    )
    return done.stdout
