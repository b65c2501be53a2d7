"""The hook API version a plugin states, and what the core does with it."""

from __future__ import annotations

import types

import pytest

import medinsure
import testplugin
from medinsure import HOOK_API, Engine, PluginError
from medinsure.plugins.hooks import check_plugin_api, parse_requirement, satisfies


def versioned(requirement: str | None) -> types.ModuleType:
    module = types.ModuleType("medinsure_versioned")
    module.medinsure_register_jurisdictions = testplugin.medinsure_register_jurisdictions
    module.medinsure_register_rules = testplugin.medinsure_register_rules
    if requirement is not None:
        module.MEDINSURE_HOOK_API = requirement
    return module


def test_the_core_states_its_hook_api():
    assert medinsure.HOOK_API == HOOK_API == (1, 1)


def test_requirements_are_read_and_compared():
    assert parse_requirement(">=1.0,<2") == [(">=", (1, 0)), ("<", (2, 0))]
    assert satisfies((1, 0), ">=1.0,<2")
    assert satisfies((1, 7), ">=1.2, <2")
    assert not satisfies((1, 0), ">=1.1")
    assert not satisfies((2, 0), ">=1.0,<2")
    assert satisfies((1, 0), "==1.0")
    with pytest.raises(ValueError, match="cannot read '~1'"):
        parse_requirement("~1")


@pytest.mark.parametrize("requirement", [None, ">=1.0,<2", "==1.1", ">=1", ">=1.1"])
def test_a_plugin_within_the_hook_api_loads(requirement):
    engine = Engine.from_plugins(versioned(requirement))
    assert engine.jurisdictions == ["testcity", "testland"]


@pytest.mark.parametrize("requirement", [">=2.0,<3", ">=1.2", "<1", "==1.0"])
def test_a_plugin_outside_the_hook_api_is_refused_at_load(requirement):
    with pytest.raises(PluginError) as info:
        Engine.from_plugins(versioned(requirement))
    message = str(info.value)
    assert "plugin 'medinsure_versioned'" in message
    assert f"needs medinsure hook API {requirement}" in message
    assert "provides hook API 1.1" in message


def test_an_unreadable_requirement_is_refused():
    with pytest.raises(PluginError, match=r"plugin 'medinsure_versioned': MEDINSURE_HOOK_API = 'one' cannot be read"):
        Engine.from_plugins(versioned("one"))


def test_a_future_core_refuses_an_old_plugin():
    with pytest.raises(PluginError, match=r"provides hook API 2\.0"):
        check_plugin_api(versioned(">=1.0,<2"), "old", version=(2, 0))
