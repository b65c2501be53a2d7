"""Screenshots of the settlement sheets for docs/sheets.md (run from the repository root).

    .venv/bin/python docs/make_sheets.py

Needs the Dalian plugin and Chromium (Debian's ``chromium``, with ``fonts-noto-cjk``). Writes
docs/img/sheet-patient.png and docs/img/sheet-audit.png: the patient copy and the audit copy of
the second admission of examples/dalian-2021.yaml, in Chinese.
"""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

from medinsure import Engine
from medinsure.io.printing import find_chromium
from medinsure.io.records import settle_file
from medinsure.io.sheets import jurisdiction_names, render_html

ROOT = Path(__file__).parent.parent
IMG = Path(__file__).parent / "img"


def main() -> None:
    engine = Engine.from_installed()
    (second,) = [s for s in settle_file(ROOT / "examples" / "dalian-2021.yaml", engine=engine) if s.claim.id == "A2"]
    chromium = find_chromium()
    assert chromium is not None, "Chromium is needed (apt-get install chromium fonts-noto-cjk)"
    for copy, height in (("patient", 980), ("audit", 960)):
        page = render_html(second, lang="zh", copy=copy, names=jurisdiction_names(engine))
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "sheet.html"
            path.write_text(page, encoding="utf-8")
            subprocess.run(
                [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                 f"--user-data-dir={Path(tmp) / 'profile'}", f"--window-size=1000,{height}",
                 f"--screenshot={IMG / f'sheet-{copy}.png'}", path.as_uri()],
                check=True, capture_output=True, timeout=120,
            )  # fmt: skip
        print(IMG / f"sheet-{copy}.png")


if __name__ == "__main__":
    main()
