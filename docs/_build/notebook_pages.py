"""mkdocs hook: each notebook of the docs, run at build time and rendered as a page with its outputs.

Registered in mkdocs.yml (``hooks:``). ``docs/NAME.ipynb`` is executed top to bottom in a fresh
kernel (nbclient; a failing cell fails the build) and becomes the page ``NAME.md``: its Markdown
cells as they are, each code cell as a Python block, and under it the cell's outputs — HTML
tables as HTML, pictures as PNG images embedded in the page, text as text. The notebook file
itself is copied beside the page for download. A page of the site's other languages falls
back to it. (This does what the mkdocs-jupyter plugin does, which the i18n plugin hides.)
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

from mkdocs.plugins import event_priority
from mkdocs.structure.files import File, Files

_DOCS = Path(__file__).resolve().parent.parent
_ROOT = _DOCS.parent
_RENDERED: dict[tuple[str, int], str] = {}  # by notebook and modification time: run once per build


def render(path: Path) -> str:
    """The Markdown page of notebook ``path``, after running it."""
    import nbclient
    import nbformat

    key = (str(path), path.stat().st_mtime_ns)
    if key in _RENDERED:
        return _RENDERED[key]
    notebook = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(notebook, timeout=300, kernel_name="python3")
    client.execute(cwd=str(_ROOT))
    parts = [f"<!-- made from {path.name} when the site was built -->\n"]
    for cell in notebook.cells:
        if cell.cell_type == "markdown":
            parts.append(cell.source)
        elif cell.cell_type == "code":
            parts.append(f"```python\n{cell.source}\n```")
            parts.extend(_output(output) for output in cell.get("outputs", []))
    parts.append(f"[Download the notebook]({path.name}) to run it yourself.")
    _RENDERED[key] = text = "\n\n".join(p for p in parts if p)
    return text


def _output(output: Any) -> str:
    if output.output_type == "stream":
        return f"```text\n{output.text.rstrip()}\n```"
    if output.output_type == "error":  # pragma: no cover - nbclient raises first
        raise RuntimeError(f"a notebook cell failed: {output.ename}: {output.evalue}")
    data = output.get("data", {})
    if "image/png" in data:
        return f'<img alt="a figure of the notebook" src="data:image/png;base64,{data["image/png"].strip()}">'
    if "text/html" in data:
        return f'<div class="notebook-output" markdown="0">\n{data["text/html"]}\n</div>'
    if "text/plain" in data:
        return f"```text\n{html.unescape(data['text/plain']).rstrip()}\n```"
    return ""


@event_priority(-100)  # after the i18n plugin, as the jurisdiction pages
def on_files(files: Files, config: Any) -> Files:
    for path in sorted(_DOCS.glob("*.ipynb")):
        files.append(File.generated(config, path.with_suffix(".md").name, content=render(path)))
    return files
