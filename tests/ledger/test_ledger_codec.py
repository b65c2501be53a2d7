"""The canonical JSON text a ledger stores and fingerprints.

Ledgers written before the text came from orjson hold the standard library's text, and their
content fingerprints are of that text: the two must agree on everything a ledger stores.
"""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from medinsure.ledger.codec import canonical_json, fingerprint


def stdlib(data: Any) -> str:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


# what a ledger stores: no floats (amounts are decimal strings); any text, lone surrogates too
surrogates = st.sampled_from(["\ud800", "\udbff", "\udc00", "\udfff"])
scalars = st.none() | st.booleans() | st.integers() | st.text() | st.text(st.characters() | surrogates, min_size=1)
ledger_data = st.recursive(
    scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4), max_leaves=30
)


@given(ledger_data)
def test_canonical_json_is_the_standard_librarys_text(data):
    assert canonical_json(data) == stdlib(data)


@given(st.integers(min_value=-(2**80), max_value=2**80))
def test_integers_beyond_64_bits_are_written_as_before(value):
    assert canonical_json({"n": value}) == f'{{"n":{value}}}'


def test_keys_sorted_by_code_point_and_characters_kept():
    data = {"z": 1, "é": "大病保险", "a": ["\u2028", "\x00\x1f", '"\\/'], "B": None, "\ud800": "\udfff"}
    assert canonical_json(data) == stdlib(data)
    assert canonical_json(data).startswith('{"B":null,"a":["\u2028","\\u0000\\u001f","\\"\\\\/"],"z":1,"é":"大病保险"')


def test_non_string_keys_go_to_the_standard_library():
    assert canonical_json({2: "b", 1: "a"}) == '{"1":"a","2":"b"}'


def test_a_content_fingerprint_is_unchanged():
    # SHA-256 of '{"claim":{"id":"C1"},"jurisdiction":"dalian","patient":{"id":"P1","scheme":"employee"}}',
    # as ledgers have stored it since the first schema version
    content = {"jurisdiction": "dalian", "patient": {"id": "P1", "scheme": "employee"}, "claim": {"id": "C1"}}
    assert fingerprint(content) == "fabd8dcaaf11fd4db55c27f0fd81a797ef436c5861082b30e915a664afd3e8d8"
