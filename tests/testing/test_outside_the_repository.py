"""A plugin's own test suite runs outside this repository: everything it needs is in medinsure.testing."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parent.parent.parent


def test_a_copied_plugin_installs_and_passes_its_tests_away_from_the_repository(tmp_path):
    copy = tmp_path / "medinsure-tieling"
    shutil.copytree(ROOT / "plugins" / "medinsure-tieling", copy, ignore=shutil.ignore_patterns("__pycache__"))
    pyproject = copy / "pyproject.toml"
    pyproject.write_text(pyproject.read_text(encoding="utf-8").replace('version = "0.1.0"', 'version = "0.1.1.dev7"'))
    site = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(site), str(copy)],
        check=True,
        timeout=300,
        capture_output=True,
    )
    # the copy's distribution comes first on the path, so it is the one found, not the repository's
    env = {**os.environ, "PYTHONPATH": str(site)}
    version = subprocess.run(
        [
            sys.executable,
            "-c",
            "from medinsure import Engine; print(Engine.from_installed(allow=['liaoning', 'tieling'])"
            ".rules('tieling').plugin_version)",
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert version.stdout.strip() == "0.1.1.dev7"
    tests = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(copy / "tests")],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert tests.returncode == 0, tests.stdout[-3000:] + tests.stderr[-3000:]
    assert " passed" in tests.stdout
    assert str(ROOT / "tests") not in tests.stdout
