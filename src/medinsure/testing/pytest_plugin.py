"""pytest integration: scenario files in a folder named ``cases`` are collected as tests.

Each case of a ``*.yaml``/``*.yml``/``*.json`` file below a ``cases`` folder becomes one test
item, so a plugin's tests can be plain scenario files. The engine comes from the installed
plugins, unless a ``conftest.py`` implements :func:`pytest_medinsure_engine` for its folder
(the core's own tests do this to use a test-only jurisdiction).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from medinsure.errors import MedinsureError, ScenarioFailed
from medinsure.io.scenarios import SUFFIXES, Case, load_cases, run_case
from medinsure.settlement.engine import Engine

_ENGINE = pytest.StashKey[Engine]()


class _Hooks:
    @pytest.hookspec(firstresult=True)
    def pytest_medinsure_engine(self, config: pytest.Config) -> Engine | None:
        """Return the engine that settles the scenario files below this conftest's folder."""


def pytest_addhooks(pluginmanager: pytest.PytestPluginManager) -> None:
    pluginmanager.add_hookspecs(_Hooks)


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    if file_path.suffix.lower() in SUFFIXES and "cases" in file_path.parent.parts[-3:]:
        return CaseFile.from_parent(parent, path=file_path)
    return None


class CaseFile(pytest.File):
    def collect(self) -> Iterator[pytest.Item]:
        for case in load_cases(self.path):
            yield CaseItem.from_parent(self, name=case.name, case=case)


class CaseItem(pytest.Item):
    def __init__(self, *, case: Case, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.case = case

    def _engine(self) -> Engine:
        engine = self.ihook.pytest_medinsure_engine(config=self.config)
        if isinstance(engine, Engine):
            return engine
        if _ENGINE not in self.config.stash:
            self.config.stash[_ENGINE] = Engine.from_installed()
        return self.config.stash[_ENGINE]

    def runtest(self) -> None:
        result = run_case(self._engine(), self.case)
        if result.failures:
            raise ScenarioFailed("\n".join(str(f) for f in result.failures))

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:
        if isinstance(excinfo.value, MedinsureError):
            return str(excinfo.value)
        return str(super().repr_failure(excinfo))

    def reportinfo(self) -> tuple[Path, int | None, str]:
        return self.path, (self.case.line or 1) - 1, f"case: {self.case.name}"
