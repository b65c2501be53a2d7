"""mkdocs hook: one page per installed jurisdiction, generated from its registered tables.

Registered in mkdocs.yml (``hooks:``). The pages exist only in the built site: they are made
from the rule tables of the plugins installed where the site is built, by
:func:`medinsure.rules.pages.site_pages`, and listed under "Jurisdictions" in the
navigation in place of the entry ``jurisdictions/index.md``.
"""

from __future__ import annotations

from typing import Any

from mkdocs.plugins import event_priority
from mkdocs.structure.files import File, Files

from medinsure.rules.pages import site_pages

_PAGES: dict[str, tuple[str, str]] = {}


def on_config(config: Any) -> Any:
    _PAGES.clear()
    _PAGES.update(site_pages())
    nav = config["nav"] or []
    entries = [{title: path} for path, (title, _text) in _PAGES.items()]
    for i, item in enumerate(nav):
        if isinstance(item, dict) and list(item.values()) == ["jurisdictions/index.md"]:
            nav[i] = {next(iter(item)): entries}
    return config


@event_priority(-100)  # after the i18n plugin has sorted the written pages by language
def on_files(files: Files, config: Any) -> Files:
    for path, (_title, text) in _PAGES.items():
        files.append(File.generated(config, path, content=text))
    return files
