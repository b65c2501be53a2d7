"""Masking of person ids (medinsure.io.masking)."""

from __future__ import annotations

import pytest

from medinsure.io.masking import IdMasker, mask_id, redact, redact_url


@pytest.mark.parametrize(
    ("value", "masked"),
    [
        ("210203198001011234", "2102**********1234"),  # 18 characters: 4 kept at each end
        ("21020319800101123X", "2102**********123X"),
        ("P0001", "P***1"),  # 5 characters: one at each end
        ("P1", "**"),  # too short to keep anything
        ("", ""),
    ],
)
def test_mask_id(value, masked):
    assert mask_id(value) == masked
    assert len(mask_id(value)) == len(value)


def test_redact_masks_whole_ids_only():
    text = "patient 210203198001011234 (P1), claim P1C1: patient.id='P1'"
    assert redact(text, ["210203198001011234", "P1"]) == "patient 2102**********1234 (**), claim P1C1: patient.id='**'"
    assert redact(text, []) == text


def test_id_masker_and_urls():
    assert IdMasker()("210203198001011234") == "2102**********1234"
    assert IdMasker(show=True)("210203198001011234") == "210203198001011234"
    assert IdMasker(show=True).text("id P1", ["P1"]) == "id P1"
    assert redact_url("postgresql://ledger:s3cret@db:5432/claims") == "postgresql://ledger:***@db:5432/claims"
    assert redact_url("postgresql://db/claims") == "postgresql://db/claims"
