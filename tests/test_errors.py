"""Every error medinsure raises crosses a process boundary whole (Dask workers pickle them)."""

from __future__ import annotations

import inspect
import pickle
from typing import Any

import pytest

from medinsure import errors

#: Constructor arguments of each error class that defines its own constructor (its subclasses
#: take the same).
ARGUMENTS: dict[str, tuple[tuple[Any, ...], dict[str, Any]]] = {
    "InvalidInput": (("claim.total", "x", "not a number"), {}),
    "InputError": (("claims.csv: row 3", "claim_id: required"), {}),
    "RowInputError": (("claims.csv: row 3", "claim.total", "x", "not a number"), {}),
    "ReadError": (("not valid YAML", 7), {}),
    "RuleError": (("a negative rate",), {"plugin": "p", "jurisdiction": "dalian", "rule": "r@2021", "value": -1}),
    "UnknownJurisdiction": (("atlantis", ["dalian", "yingkou"], {"broken": "ImportError"}), {}),
    "ScenarioError": (("case.yaml", "unknown key 'foo'"), {"case": "c1", "line": 4}),
    "RequestError": ((413, "too-large", "the body is over 1 MiB"), {}),
    "ClaimConflict": (("C1", [("claim.total", "1.00", "2.00")]), {}),
    "ClaimReversed": (("C1", 7), {}),
    "UnknownClaim": (("C1",), {}),
}


def classes() -> list[type[errors.MedinsureError]]:
    found = [v for v in vars(errors).values() if inspect.isclass(v) and issubclass(v, errors.MedinsureError)]
    return sorted(found, key=lambda c: c.__name__)


def make(cls: type[errors.MedinsureError]) -> errors.MedinsureError:
    for owner in cls.__mro__:
        if "__init__" in vars(owner) and owner is not errors.MedinsureError:
            if owner.__name__ not in ARGUMENTS:
                pytest.fail(f"{owner.__name__} has a constructor of its own: add its arguments to ARGUMENTS")
            args, kwargs = ARGUMENTS[owner.__name__]
            return cls(*args, **kwargs)
        if owner is errors.MedinsureError:
            break
    return cls("something went wrong")


@pytest.mark.parametrize("cls", classes(), ids=lambda c: c.__name__)
def test_every_error_pickles_whole(cls):
    error = make(cls)
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is cls
    assert str(copy) == str(error)
    assert copy.args == error.args
    assert vars(copy) == vars(error)


def test_naming_puts_the_place_before_an_error_once():
    with pytest.raises(errors.InputError) as info, errors.naming("claims.csv: row 2"):
        raise errors.InvalidInput("claim.total", "1e", "not a number")
    assert str(info.value) == "claims.csv: row 2: claim.total='1e': not a number"
    assert info.value.where == "claims.csv: row 2"
    with pytest.raises(errors.InputError) as info, errors.naming("claims.csv: row 2"):
        raise errors.InputError("reform.yaml", "line 3: unknown key")  # names its place already
    assert str(info.value) == "reform.yaml: line 3: unknown key"
    with pytest.raises(errors.InvalidInput) as plain, errors.naming(""):  # no place: the error as it is
        raise errors.InvalidInput("claim.total", "1e", "not a number")
    assert not isinstance(plain.value, errors.InputError)
    with pytest.raises(KeyError), errors.naming("claims.csv: row 2"):  # not medinsure's: untouched
        raise KeyError("x")
