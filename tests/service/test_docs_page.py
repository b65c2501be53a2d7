"""The interactive docs page in a real browser: it lists every operation and sends its example.

``/docs?run=OPERATION_ID`` sends that operation's example when the page loads; headless Chromium
loads the page from a real server (``limited``: the installed plugins, no token) and prints the
DOM once the answer is in.
"""

from __future__ import annotations

import html
import re

from medinsure.service.openapi import openapi_document
from support.browser import chromium


def rendered(limited, tmp_path, query: str) -> str:
    return chromium(
        tmp_path / "profile", "--virtual-time-budget=15000", "--dump-dom", f"{limited.url}/docs{query}"
    ).decode()


def answer(dom: str, operation: str) -> tuple[str, str]:
    form = dom[dom.index(f'<form id="{operation}"') :]
    found = re.search(r'<pre class="answer" data-status="(\d+)">(.*?)</pre>', form[: form.index("</form>")], re.S)
    assert found, f"no answer shown for {operation}"
    return found.group(1), html.unescape(found.group(2))


def test_the_page_lists_every_operation(limited, tmp_path):
    dom = rendered(limited, tmp_path, "")
    for methods in openapi_document()["paths"].values():
        for operation in methods.values():
            assert f'<form id="{operation["operationId"]}"' in dom
    assert "data-status" not in dom  # nothing is sent unless asked


def test_the_settle_example_is_sent_from_the_page_and_answered(limited, tmp_path):
    dom = rendered(limited, tmp_path, "?run=settle")
    status, text = answer(dom, "settle")
    assert status == "200"
    assert '"critical_illness": "33250.00"' in text  # the Dalian example's second admission
    assert '"claim_id": "A3"' in text
