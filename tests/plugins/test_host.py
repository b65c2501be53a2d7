"""The plugin host: hooks checked at load, entry points, allow and block lists, a fresh manager each time."""

from __future__ import annotations

import types

import pytest

import testplugin
from medinsure import Engine, PluginError, hookimpl, list_plugins, make_plugin_manager
from medinsure.plugins import discovery
from support import run


def test_misspelled_hook_is_an_error_naming_plugin_and_hook():
    module = types.ModuleType("typo")

    @hookimpl
    def medinsure_regster_rules(registry):
        pass

    module.medinsure_regster_rules = medinsure_regster_rules
    with pytest.raises(
        PluginError,
        match="plugin 'typo': 'medinsure_regster_rules' is not a medinsure hook; did you mean 'medinsure_register_rules'",
    ):
        make_plugin_manager(plugins=[module], entry_points=False)


def test_unmarked_misspelled_hook_is_caught_too():
    module = types.ModuleType("typo2")
    module.medinsure_register_jurisdiction = lambda registry: None
    with pytest.raises(PluginError, match="did you mean 'medinsure_register_jurisdictions'"):
        make_plugin_manager(plugins=[module], entry_points=False)


def test_exception_inside_a_hook_names_the_plugin():
    module = types.ModuleType("broken")

    @hookimpl
    def medinsure_register_jurisdictions(registry):
        raise KeyError("oops")

    module.medinsure_register_jurisdictions = medinsure_register_jurisdictions
    with pytest.raises(PluginError, match="plugin 'broken': medinsure_register_jurisdictions raised KeyError"):
        Engine.from_plugins(module)


class FakeDist:
    def __init__(self, name: str, version: str) -> None:
        self.name = name
        self.version = version

    def read_text(self, filename: str) -> str | None:
        return (
            f"Metadata-Version: 2.1\nName: {self.name}\nVersion: {self.version}\n\n" if filename == "METADATA" else None
        )


class FakeEntryPoint:
    def __init__(self, name: str, obj: object, dist: FakeDist, fail: bool = False) -> None:
        self.name = name
        self._obj = obj
        self.dist = dist
        self._fail = fail

    def load(self) -> object:
        if self._fail:
            raise ImportError("No module named 'medinsure_broken'")
        return self._obj


@pytest.fixture
def fake_entry_points(monkeypatch):
    eps: list[FakeEntryPoint] = []

    def entry_points():
        """What ``discovery.installed_entry_points()`` returns: the two groups' entry points."""
        return {"medinsure": list(eps), "medinsure.rulepacks": []}

    monkeypatch.setattr(discovery, "installed_entry_points", entry_points)
    # the process's shared engine would keep the plugins installed before: one for each call here
    monkeypatch.setattr(Engine, "shared", classmethod(lambda cls, refresh=False: cls.from_installed()))
    return eps


def test_entry_points_are_loaded_with_their_distribution_version(fake_entry_points):
    fake_entry_points.append(FakeEntryPoint("testland", testplugin, FakeDist("medinsure-testland", "1.2.3")))
    infos = list_plugins()
    assert [(i.name, i.version, i.jurisdictions) for i in infos] == [("testland", "1.2.3", ("testcity", "testland"))]
    engine = Engine.from_installed()
    assert engine.rules("testcity").plugin_version == "1.2.3"


def test_allow_and_block_lists(fake_entry_points):
    fake_entry_points.append(FakeEntryPoint("testland", testplugin, FakeDist("medinsure-testland", "1.0")))
    fake_entry_points.append(FakeEntryPoint("broken", None, FakeDist("medinsure-broken", "0.1"), fail=True))
    with pytest.raises(PluginError, match=r"plugin 'broken' \(distribution medinsure-broken\) failed to load"):
        Engine.from_installed(isolate=False)
    # by default the broken plugin is set aside, named, and the others work
    engine = Engine.from_installed()
    assert engine.jurisdictions == ["testcity", "testland"]
    assert engine.registry.failures == {
        "broken": "plugin 'broken' (distribution medinsure-broken) failed to load: No module named 'medinsure_broken'"
    }
    assert [(p.name, p.failure is not None) for p in list_plugins()] == [("broken", True), ("testland", False)]
    assert Engine.from_installed(block=["broken"]).jurisdictions == ["testcity", "testland"]
    assert Engine.from_installed(allow=["testland"]).jurisdictions == ["testcity", "testland"]
    assert Engine.from_installed(allow=[]).jurisdictions == []


def test_each_manager_is_fresh():
    a = make_plugin_manager(plugins=[testplugin], entry_points=False)
    b = make_plugin_manager(entry_points=False)
    assert a.get_plugin("testplugin") is not None
    assert b.get_plugin("testplugin") is None


def test_an_installed_plugin_needing_another_hook_api_is_refused_at_load(fake_entry_points):
    import types

    future = types.ModuleType("medinsure_future")
    future.medinsure_register_jurisdictions = testplugin.medinsure_register_jurisdictions
    future.MEDINSURE_HOOK_API = ">=2.0,<3"
    fake_entry_points.append(FakeEntryPoint("future", future, FakeDist("medinsure-future", "2.0.0")))
    with pytest.raises(
        PluginError,
        match=r"plugin 'future' needs medinsure hook API >=2\.0,<3 but this medinsure provides hook API 1\.1",
    ):
        Engine.from_installed(isolate=False)
    assert "needs medinsure hook API >=2.0,<3" in Engine.from_installed().registry.failures["future"]
    assert Engine.from_installed(block=["future"]).jurisdictions == []


# -- hooks are called through pluggy ----------------------------------------------------------


class Recorder:
    """A plugin whose hook implementation records when it runs, with the pluggy options given."""

    def __init__(self, name: str, log: list[str], **options: bool) -> None:
        self.__name__ = name

        @hookimpl(**options)
        def medinsure_register_rules(registry):
            log.append(f"{name} as {registry.plugin}")

        self.medinsure_register_rules = medinsure_register_rules


class Wrapper:
    """A hook wrapper: runs before and after every other implementation, sees their result."""

    __name__ = "wrapper"

    def __init__(self, log: list[str]) -> None:
        self.log = log

    @hookimpl(wrapper=True)
    def medinsure_register_rules(self, registry):
        self.log.append(f"wrapper before, as {registry.plugin}")
        result = yield
        self.log.append(f"wrapper after, {len(registry._registry.codes)} jurisdictions")
        return result


def test_tryfirst_runs_before_ordinary_and_trylast_after_as_pluggy_documents():
    log: list[str] = []
    plugins = [
        Recorder("late", log, trylast=True),
        Recorder("plain", log),
        Recorder("early", log, tryfirst=True),
        Recorder("newest", log),
    ]
    Engine.from_plugins(testplugin, *plugins)
    # tryfirst first, then the others last-registered first, trylast last; each with its own scope
    assert log == ["early as early", "newest as newest", "plain as plain", "late as late"]


def test_a_hook_wrapper_runs_around_every_other_implementation():
    log: list[str] = []
    Engine.from_plugins(testplugin, Wrapper(log), Recorder("plain", log), Recorder("early", log, tryfirst=True))
    assert log == ["wrapper before, as wrapper", "early as early", "plain as plain", "wrapper after, 2 jurisdictions"]


def test_an_error_in_a_wrapper_names_the_wrapper():
    class Broken:
        __name__ = "broken"

        @hookimpl(wrapper=True)
        def medinsure_register_rules(self, registry):
            yield
            raise KeyError("oops")

    with pytest.raises(PluginError, match=r"plugin 'broken': medinsure_register_rules raised KeyError: 'oops'"):
        Engine.from_plugins(testplugin, Broken())


def test_an_old_style_hookwrapper_is_refused_or_honoured_never_ignored():
    log: list[str] = []

    class Old:
        __name__ = "old"

        @hookimpl(hookwrapper=True)
        def medinsure_register_rules(self, registry):
            log.append("old before")
            yield
            log.append("old after")

    Engine.from_plugins(testplugin, Old(), Recorder("plain", log))
    assert log == ["old before", "plain as plain", "old after"]


# -- one broken installed plugin harms only its own jurisdictions --------------------------------


def broken_plugin(name: str, code: str, parent: str | None = None, fail_in: str = "rules"):
    import types

    module = types.ModuleType(name)

    @hookimpl
    def medinsure_register_jurisdictions(registry):
        if fail_in == "declare":
            raise ValueError("the declaration failed")
        registry.add_jurisdiction(code, code, parent=parent)

    @hookimpl
    def medinsure_register_rules(registry):
        registry.load_rule_pack_rules({"jurisdiction": {"code": code, "name": code}, "sources": {"s": {}}})

    module.medinsure_register_jurisdictions = medinsure_register_jurisdictions
    module.medinsure_register_rules = medinsure_register_rules
    return module


def test_a_plugin_whose_rules_fail_is_set_aside_and_its_children_with_it(fake_entry_points):
    fake_entry_points.append(FakeEntryPoint("testland", testplugin, FakeDist("medinsure-testland", "1.0")))
    fake_entry_points.append(FakeEntryPoint("bad", broken_plugin("bad", "badland"), FakeDist("medinsure-bad", "0.1")))
    child = broken_plugin("child", "childland", parent="badland")
    del child.medinsure_register_rules  # it only declares a child of the broken jurisdiction
    fake_entry_points.append(FakeEntryPoint("child", child, FakeDist("medinsure-child", "0.1")))
    engine = Engine.from_installed()
    assert engine.jurisdictions == ["testcity", "testland"]
    assert engine.registry.failures == {
        "bad": "plugin 'bad', jurisdiction 'badland', rule 'sources.s': missing key 'publication' (<rule pack>)"
    }
    with pytest.raises(PluginError, match=r"^jurisdiction='badland': unavailable: plugin 'bad' failed: plugin 'bad',"):
        engine.rules("badland")
    with pytest.raises(
        PluginError,
        match=r"^jurisdiction='childland': unavailable: plugin 'child', jurisdiction 'childland': parent jurisdiction"
        r" 'badland' is not available \(plugin 'bad' failed: ",
    ):
        engine.rules("childland")
    code, out, err = run("plugins")
    assert (code, err) == (0, "")
    assert "FAILED plugin bad: plugin 'bad', jurisdiction 'badland', rule 'sources.s': missing key" in out
    assert "UNAVAILABLE jurisdiction childland: plugin 'child', jurisdiction 'childland': parent" in out
    assert "testland" in out
    code, _, err = run("plugins", "--strict-plugins")
    assert code == 2
    assert err.startswith("medinsure plugins: plugin 'bad', jurisdiction 'badland', rule 'sources.s': missing key")


def test_a_plugin_whose_declaration_raises_is_set_aside(fake_entry_points):
    fake_entry_points.append(FakeEntryPoint("testland", testplugin, FakeDist("medinsure-testland", "1.0")))
    bad = broken_plugin("bad", "badland", fail_in="declare")
    fake_entry_points.append(FakeEntryPoint("bad", bad, FakeDist("medinsure-bad", "0.1")))
    engine = Engine.from_installed()
    assert engine.jurisdictions == ["testcity", "testland"]
    assert engine.registry.failures == {
        "bad": "medinsure_register_jurisdictions raised ValueError: the declaration failed"
    }
    with pytest.raises(PluginError, match="the declaration failed"):
        Engine.from_installed(isolate=False)
    # plugins passed in directly are the caller's own: they fail closed
    with pytest.raises(PluginError, match=r"plugin 'bad': medinsure_register_jurisdictions raised ValueError"):
        Engine.from_plugins(testplugin, bad)
