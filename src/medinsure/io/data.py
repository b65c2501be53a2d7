"""YAML and JSON reading for scenario files, rule packs and reforms: one reader, with limits.

What it reads is plain data, read exactly and nothing more:

- numbers with a decimal point or an exponent become :class:`~decimal.Decimal` read from their
  text (never a float); whole numbers become ``int`` (text longer than 40 characters stays
  text, for the field that reads it to refuse);
- YAML is read with the YAML 1.2 core scalars only: ``true``/``false``, ``null``, decimal
  numbers. No sexagesimal (``250:0``), hexadecimal (``0x3A98``), octal or binary integers, no
  ``yes``/``on`` booleans, no dates (``2021-03-01`` stays text, for the field that reads it to
  check it is a date of the calendar), no Python tags;
- every mapping remembers the line of each key so errors can point at it, and a key given twice
  in one mapping is an error rather than silently dropped.

Limits, each refused with one :class:`~medinsure.errors.ReadError` naming the line where known:
a file of more than :data:`MAX_FILE_BYTES`, nesting deeper than :data:`MAX_DEPTH`, and YAML
anchors and aliases (``&a`` / ``*a``: a few lines of them can stand for billions of values).

YAML is parsed by libyaml where PyYAML has it (several times faster; ``pure=True`` uses the
pure-Python parser, which gives the same values and lines), and the document is built from
the parser's nodes here, text, lists and mappings directly.
"""

from __future__ import annotations

import gc
import json
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml

from medinsure.errors import ReadError

__all__ = ["MAX_DEPTH", "MAX_FILE_BYTES", "LineDict", "line_of", "parse_json", "read_data_file", "read_data_text"]

#: The largest YAML or JSON file read (bytes): scenario files, rule packs and reforms are small;
#: many claims belong in a CSV file, which is read as a stream.
MAX_FILE_BYTES = 64 * 1024 * 1024
#: How deep lists and mappings may nest (a scenario file needs about six levels).
MAX_DEPTH = 32
#: A whole number longer than this stays text (an amount or a count refuses it by name).
_MAX_INTEGER_TEXT = 40


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


#: libyaml's parser where PyYAML was built with it, else the pure-Python one; both give every
#: node its line, so errors point at the same line either way.
_BaseLoader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_BaseLoader):
    yaml_implicit_resolvers: dict[Any, Any] = {}  # noqa: RUF012 - PyYAML's class-level registry

    def resolve(self, kind: Any, value: Any, implicit: Any) -> Any:
        """The tag of a node, as PyYAML's resolver finds it with the resolvers below (there are
        no wildcard or path resolvers): called by libyaml for every node, so kept short."""
        if kind is yaml.ScalarNode:
            if implicit[0]:
                for tag, regexp in self.yaml_implicit_resolvers.get(value[:1], ()):
                    if regexp.match(value):
                        return tag
            return self.DEFAULT_SCALAR_TAG
        return super().resolve(kind, value, implicit)


class _PureLoader(yaml.SafeLoader):
    """The pure-Python loader with the same resolvers and constructors (to check both agree)."""

    yaml_implicit_resolvers: dict[Any, Any] = {}  # noqa: RUF012 - PyYAML's class-level registry


def _construct_int(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> int | str:
    text = str(loader.construct_scalar(node))
    return text if len(text) > _MAX_INTEGER_TEXT else int(text)


def _construct_float(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> Decimal | str:
    text = str(loader.construct_scalar(node))
    if len(text) > _MAX_INTEGER_TEXT:
        return text
    special = {".inf": "Infinity", "+.inf": "Infinity", "-.inf": "-Infinity", ".nan": "NaN"}
    return Decimal(special.get(text.lower(), text))


def _construct_text(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> str:
    return str(loader.construct_scalar(node))


# the YAML 1.2 core schema's plain scalars, decimal only
_RESOLVERS = (
    ("tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")),
    ("tag:yaml.org,2002:null", re.compile(r"^(?:~|null|Null|NULL|)$"), ["~", "n", "N", ""]),
    ("tag:yaml.org,2002:int", re.compile(r"^[-+]?[0-9]+$"), list("-+0123456789")),
    (
        "tag:yaml.org,2002:float",
        re.compile(
            r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"
        ),
        list("-+.0123456789"),
    ),
)
for _loader in (_Loader, _PureLoader):
    for _tag, _pattern, _first in _RESOLVERS:
        _loader.add_implicit_resolver(_tag, _pattern, _first)
    _loader.add_constructor("tag:yaml.org,2002:int", _construct_int)
    _loader.add_constructor("tag:yaml.org,2002:float", _construct_float)
    # an explicit !!timestamp is not plain data either: read as its text
    _loader.add_constructor("tag:yaml.org,2002:timestamp", _construct_text)


_STR = "tag:yaml.org,2002:str"
_SEQ = "tag:yaml.org,2002:seq"
_MAP = yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG
_MERGE = "tag:yaml.org,2002:merge"


def _load_yaml(text: str, loader_class: Any) -> Any:
    """The document of ``text``: nodes composed by the loader (libyaml's), then built here.

    The cycle collector is paused meanwhile: a rule pack makes thousands of nodes, marks and
    values, none of them in a cycle, and the collections their making set off were an eighth of
    the time building an engine took. It is switched on again after only if it was on before.
    """
    collecting = gc.isenabled()
    gc.disable()
    loader = loader_class(text)
    try:
        node = loader.get_single_node()
        return None if node is None else _build(loader, node, set(), 1)
    finally:
        loader.dispose()
        if collecting:
            gc.enable()


def _build(loader: Any, node: Any, seen: set[int], depth: int) -> Any:
    """The value of ``node``; a node met twice is an alias, refused; so is nesting too deep.

    Text, lists and mappings — nearly every node of a rule pack — are built directly; every other
    node (numbers, booleans, null, other tags) by the loader's constructors.
    """
    if id(node) in seen:
        raise ReadError("YAML anchors and aliases (&name, *name) are not accepted", node.start_mark.line + 1)
    seen.add(id(node))
    if node.tag == _STR and isinstance(node, yaml.ScalarNode):
        return node.value
    if depth > MAX_DEPTH and not isinstance(node, yaml.ScalarNode):
        raise ReadError(f"nested more than {MAX_DEPTH} levels deep", node.start_mark.line + 1)
    if node.tag == _MAP and isinstance(node, yaml.MappingNode):
        result = LineDict()
        result.line = node.start_mark.line + 1
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE:
                raise ReadError("YAML merge keys (<<) are not accepted", key_node.start_mark.line + 1)
            key = _build(loader, key_node, seen, depth + 1)
            if not isinstance(key, str):
                key = str(key)
            if key in result:
                raise ReadError(f"key {key!r} given twice in one mapping", key_node.start_mark.line + 1)
            result[key] = _build(loader, value_node, seen, depth + 1)
            result.key_lines[key] = key_node.start_mark.line + 1
        return result
    if node.tag == _SEQ and isinstance(node, yaml.SequenceNode):
        return [_build(loader, item, seen, depth + 1) for item in node.value]
    if not isinstance(node, yaml.ScalarNode):  # a tagged collection (!!set, !!omap ...)
        raise ReadError(f"the tag {node.tag} is not accepted", node.start_mark.line + 1)
    return loader.construct_object(node, deep=True)


def _json_object(pairs: list[tuple[str, Any]]) -> LineDict:
    result = LineDict()
    for key, value in pairs:
        if key in result:
            raise ReadError(f"key {key!r} given twice in one object")
        result[key] = value
    return result


def _json_number(text: str) -> Decimal | str:
    return text if len(text) > _MAX_INTEGER_TEXT else Decimal(text)


def _json_integer(text: str) -> int | str:
    return text if len(text) > _MAX_INTEGER_TEXT else int(text)


def _no_constant(name: str) -> Any:
    raise ReadError(f"invalid JSON: {name} is not a number JSON allows")


def _check_depth(data: Any) -> None:
    """Refuse data nested deeper than :data:`MAX_DEPTH` (walked without recursion)."""
    stack: list[tuple[Any, int]] = [(data, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            if depth > MAX_DEPTH:
                raise ReadError(f"nested more than {MAX_DEPTH} levels deep")
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children)


def parse_json(text: str) -> Any:
    """JSON text as data, with the limits of this module: numbers with a point or an exponent
    become :class:`~decimal.Decimal`, a number longer than 40 characters stays text, and a key
    given twice in one object, ``NaN`` or ``Infinity`` and nesting deeper than
    :data:`MAX_DEPTH` are :class:`ReadError` s, as is anything that is not JSON."""
    try:
        data = json.loads(
            text,
            parse_float=_json_number,
            parse_int=_json_integer,
            parse_constant=_no_constant,
            object_pairs_hook=_json_object,
        )
    except json.JSONDecodeError as exc:
        raise ReadError(f"invalid JSON: {exc.msg}", exc.lineno) from None
    except RecursionError:
        raise ReadError(f"nested more than {MAX_DEPTH} levels deep") from None
    _check_depth(data)
    return data


def read_data_file(path: str | Path, *, pure: bool = False) -> Any:
    """Read a YAML (``.yaml``/``.yml``) or JSON (``.json``) file; raise :class:`ReadError`.

    YAML is parsed by libyaml when PyYAML has it (``pure=True``: by the pure-Python parser).
    """
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise ReadError(
                f"the file has {size:,} bytes, more than the {MAX_FILE_BYTES:,} a YAML or JSON file may have"
                " (give many claims as CSV)"
            )
        raw = path.read_bytes()
    except OSError as exc:
        raise ReadError(f"cannot read file: {exc.strerror or exc}") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ReadError(f"not UTF-8 text (byte {exc.start}); save the file as UTF-8") from None
    return read_data_text(text, json_=path.suffix.lower() == ".json", pure=pure)


def read_data_text(text: str, *, json_: bool = False, pure: bool = False) -> Any:
    """Read YAML (or, with ``json_``, JSON) text with the limits of this module."""
    if not text.strip():
        raise ReadError("the file is empty")
    if json_:
        return parse_json(text)
    try:
        return _load_yaml(text, _PureLoader if pure else _Loader)
    except ReadError:
        raise
    except RecursionError:
        raise ReadError(f"nested more than {MAX_DEPTH} levels deep") from None
    except yaml.MarkedYAMLError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else None
        if "maximum nesting depth" in str(exc.problem):  # libyaml's own bound, above ours
            raise ReadError(f"nested more than {MAX_DEPTH} levels deep", line) from None
        raise ReadError(f"invalid YAML: {exc.problem}", line) from None
    except yaml.YAMLError as exc:  # e.g. a control character: its message spans lines
        raise ReadError(f"invalid YAML: {' '.join(str(exc).split())}") from None
