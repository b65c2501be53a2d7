"""The HTML settlement sheet rendered by a real headless Chromium, checked from its screenshot.

Chromium comes from Debian's packages (``.ci/run`` installs ``chromium`` and the CJK font
``fonts-wqy-zenhei``; see tests/support/browser.py).
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image

from medinsure.cli import main
from support import ARGS, DATA
from support.browser import chromium

WIDTH, HEIGHT = 1000, 1400


def screenshot(html: Path, png: Path, profile: Path) -> Image.Image:
    chromium(profile, f"--window-size={WIDTH},{HEIGHT}", f"--screenshot={png}", html.as_uri())
    return Image.open(png).convert("L")


def dark_rows(image: Image.Image) -> int:
    """Rows of pixels holding something darker than the white page: text and table lines."""
    width, height = image.size
    pixels = image.load()
    return sum(1 for y in range(height) if any(pixels[x, y] < 128 for x in range(0, width, 2)))


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_html_sheet_renders_in_chromium(tmp_path, lang):
    html = tmp_path / f"sheet-{lang}.html"
    out, err = io.StringIO(), io.StringIO()
    code = main(
        ["explain", *ARGS, str(DATA / "settle-example-2.yaml"), "--claim", "C2", "--lang", lang, "--html", str(html)],
        out=out,
        err=err,
    )
    assert code == 0, err.getvalue()
    image = screenshot(html, tmp_path / f"sheet-{lang}.png", tmp_path / "profile")
    assert image.size == (WIDTH, HEIGHT)
    assert dark_rows(image) > 200  # a rendered page of text and tables, not a blank or error page
    # the page is white with dark text: most pixels light, a real share dark
    histogram = image.histogram()
    dark = sum(histogram[:128])
    assert 0.01 < dark / (WIDTH * HEIGHT) < 0.5


def test_chinese_and_english_sheets_differ_on_screen(tmp_path):
    images = []
    for lang in ("zh", "en"):
        html = tmp_path / f"{lang}.html"
        assert (
            main(
                [
                    "explain",
                    *ARGS,
                    str(DATA / "settle-example-2.yaml"),
                    "--claim",
                    "C2",
                    "--lang",
                    lang,
                    "--html",
                    str(html),
                ],
                out=io.StringIO(),
                err=io.StringIO(),
            )
            == 0
        )
        images.append(screenshot(html, tmp_path / f"{lang}.png", tmp_path / f"profile-{lang}"))
    assert images[0].tobytes() != images[1].tobytes()
