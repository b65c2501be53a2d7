"""Settlement sheets printed to PDF by headless Chromium (its print to PDF, A4, fonts embedded).

:func:`print_pdf` writes an HTML document (:func:`medinsure.io.sheets.render_document`) to a
PDF with the browser's own print engine, so the PDF is what the print stylesheet gives: A4, one
claim per page, the header on each page. Chromium comes from the system (Debian's ``chromium``
package); the CJK font the sheet names (Noto Sans CJK, from ``fonts-noto-cjk``) is embedded in
the PDF. The browser runs without network, on a file of a temporary folder, and is stopped
after ``timeout`` seconds.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from medinsure.errors import MedinsureError

__all__ = ["CHROMIUM_NAMES", "find_chromium", "print_pdf"]

#: The executables tried, in order (``MEDINSURE_CHROMIUM`` names another).
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


def find_chromium() -> str | None:
    """The Chromium executable: ``$MEDINSURE_CHROMIUM``, else the first of :data:`CHROMIUM_NAMES` on PATH."""
    named = os.environ.get("MEDINSURE_CHROMIUM")
    if named:
        return named
    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            return found
    return None


def print_pdf(document: str, out: str | Path, *, timeout: float = 120) -> None:
    """Print the HTML ``document`` to the PDF file ``out`` (written whole, or not at all)."""
    chromium = find_chromium()
    if chromium is None:
        raise MedinsureError(
            "--pdf needs Chromium (Debian: apt-get install chromium fonts-noto-cjk; or set MEDINSURE_CHROMIUM)"
        )
    target = Path(out)
    with tempfile.TemporaryDirectory(prefix="medinsure-print-") as tmp:
        page = Path(tmp) / "sheet.html"
        page.write_text(document, encoding="utf-8")
        pdf = Path(tmp) / "sheet.pdf"
        command = [
            chromium,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-extensions",
            "--no-pdf-header-footer",
            f"--user-data-dir={Path(tmp) / 'profile'}",
            f"--print-to-pdf={pdf}",
            page.as_uri(),
        ]
        try:
            result = subprocess.run(command, capture_output=True, timeout=timeout, check=False)
        except subprocess.TimeoutExpired:
            raise MedinsureError(f"--pdf: Chromium did not finish within {timeout:g} seconds") from None
        except OSError as exc:
            raise MedinsureError(f"--pdf: cannot run {chromium}: {exc.strerror or exc}") from None
        if result.returncode != 0 or not pdf.is_file() or pdf.stat().st_size == 0:
            detail = result.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or ["no PDF written"]
            raise MedinsureError(f"--pdf: Chromium failed: {detail[0]}")
        fd, partial = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent if str(target.parent) else ".")
        os.close(fd)
        try:
            shutil.copyfile(pdf, partial)
            os.replace(partial, target)
        except BaseException:
            Path(partial).unlink(missing_ok=True)
            raise
