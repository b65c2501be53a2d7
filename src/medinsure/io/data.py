"""YAML and JSON reading for scenario files and rule packs.

Numbers with a decimal point become :class:`~decimal.Decimal` read from their text (never a
float), every mapping remembers the line of each key so errors can point at it, and a key
given twice in one mapping is an error rather than silently dropped.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml

from medinsure.errors import ReadError

__all__ = ["LineDict", "line_of", "parse_json", "read_data_file"]


class LineDict(dict[str, Any]):
    """A dict that knows the line of the mapping and of each key (1-based)."""

    line: int | None = None
    key_lines: dict[str, int]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.key_lines = {}


def line_of(data: Any, key: str | None = None) -> int | None:
    if isinstance(data, LineDict):
        if key is not None and key in data.key_lines:
            return data.key_lines[key]
        return data.line
    return None


#: libyaml's parser where PyYAML was built with it (several times faster), else the pure-Python one;
#: both give every node its line, so errors point at the same line either way.
_BaseLoader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_BaseLoader):
    pass


class _PureLoader(yaml.SafeLoader):
    """The pure-Python loader with the same constructors (to check both agree)."""


def _construct_float(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> Decimal:
    text = str(loader.construct_scalar(node)).replace("_", "").lower()
    if text in (".inf", "+.inf"):
        return Decimal("Infinity")
    if text == "-.inf":
        return Decimal("-Infinity")
    if text == ".nan":
        return Decimal("NaN")
    return Decimal(text)


def _construct_mapping(loader: yaml.SafeLoader, node: yaml.MappingNode) -> LineDict:
    loader.flatten_mapping(node)
    result = LineDict()
    result.line = node.start_mark.line + 1
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if not isinstance(key, str):
            key = str(key)
        if key in result:
            raise ReadError(f"key {key!r} given twice in one mapping", key_node.start_mark.line + 1)
        result[key] = loader.construct_object(value_node, deep=True)
        result.key_lines[key] = key_node.start_mark.line + 1
    return result


for _loader in (_Loader, _PureLoader):
    _loader.add_constructor("tag:yaml.org,2002:float", _construct_float)
    _loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


_STR = "tag:yaml.org,2002:str"
_SEQ = "tag:yaml.org,2002:seq"
_MAP = yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG


def _load_yaml(text: str, loader_class: Any) -> Any:
    """The document of ``text``: nodes composed by the loader (libyaml's), then built here.

    Text scalars, sequences and mappings — nearly every node of a rule pack — are built
    directly; every other node (numbers, dates, booleans, other tags) by the loader's own
    constructors, so the values are what ``yaml.load`` with the same loader gives.
    """
    loader = loader_class(text)
    try:
        node = loader.get_single_node()
        return None if node is None else _build(loader, node, set())
    finally:
        loader.dispose()


def _build(loader: Any, node: Any, building: set[int]) -> Any:
    if node.tag == _STR and isinstance(node, yaml.ScalarNode):
        return node.value
    if id(node) in building:
        raise ReadError("a recursive alias (an anchor used inside itself)", node.start_mark.line + 1)
    if node.tag == _MAP and isinstance(node, yaml.MappingNode):
        building.add(id(node))
        loader.flatten_mapping(node)
        result = LineDict()
        result.line = node.start_mark.line + 1
        for key_node, value_node in node.value:
            key = _build(loader, key_node, building)
            if not isinstance(key, str):
                key = str(key)
            if key in result:
                raise ReadError(f"key {key!r} given twice in one mapping", key_node.start_mark.line + 1)
            result[key] = _build(loader, value_node, building)
            result.key_lines[key] = key_node.start_mark.line + 1
        building.discard(id(node))
        return result
    if node.tag == _SEQ and isinstance(node, yaml.SequenceNode):
        building.add(id(node))
        items = [_build(loader, item, building) for item in node.value]
        building.discard(id(node))
        return items
    return loader.construct_object(node, deep=True)


def _json_object(pairs: list[tuple[str, Any]]) -> LineDict:
    result = LineDict()
    for key, value in pairs:
        if key in result:
            raise ReadError(f"key {key!r} given twice in one object")
        result[key] = value
    return result


def _no_constant(name: str) -> Any:
    raise ReadError(f"invalid JSON: {name} is not a number JSON allows")


def parse_json(text: str) -> Any:
    """JSON text as data: numbers with a point or an exponent become :class:`~decimal.Decimal`.

    A key given twice in one object, ``NaN`` or ``Infinity``, nesting too deep to read and an
    integer too long to convert are :class:`ReadError` s, as is anything that is not JSON.
    """
    try:
        return json.loads(text, parse_float=Decimal, parse_constant=_no_constant, object_pairs_hook=_json_object)
    except json.JSONDecodeError as exc:
        raise ReadError(f"invalid JSON: {exc.msg}", exc.lineno) from None
    except RecursionError:
        raise ReadError("invalid JSON: nested too deeply") from None
    except ValueError:  # an integer of more digits than Python converts (sys.get_int_max_str_digits)
        raise ReadError("invalid JSON: an integer too long to read") from None


def read_data_file(path: Path, *, pure: bool = False) -> Any:
    """Read a YAML (``.yaml``/``.yml``) or JSON (``.json``) file; raise :class:`ReadError`.

    YAML is parsed by libyaml when PyYAML has it (``pure=True``: by the pure-Python parser).
    """
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ReadError(f"cannot read file: {exc.strerror or exc}") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ReadError(f"not UTF-8 text (byte {exc.start}); save the file as UTF-8") from None
    if not text.strip():
        raise ReadError("the file is empty")
    if path.suffix.lower() == ".json":
        return parse_json(text)
    try:
        return _load_yaml(text, _PureLoader if pure else _Loader)
    except ReadError:
        raise
    except yaml.MarkedYAMLError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else None
        raise ReadError(f"invalid YAML: {exc.problem}", line) from None
    except yaml.YAMLError as exc:  # e.g. a control character: its message spans lines
        raise ReadError(f"invalid YAML: {' '.join(str(exc).split())}") from None
