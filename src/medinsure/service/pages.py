"""The interactive documentation page (``GET /docs``), made from the OpenAPI document.

One self-contained HTML page: no script or style is fetched from elsewhere, so it works in a
hospital network with no way out. Each operation shows its summary, parameters, request
example and response codes, with a form that sends the example (edited or not) and shows the
answer. ``/docs?run=OPERATION_ID`` sends that operation's example as soon as the page loads:
a link that demonstrates a call.
"""

from __future__ import annotations

import html
import json
import re
from typing import Any

__all__ = ["docs_page"]

_STYLE = """
body{font-family:system-ui,"Noto Sans CJK SC","WenQuanYi Zen Hei",sans-serif;margin:0 auto;max-width:1040px;
padding:16px 24px;color:#1b1b1b}
h1{font-size:1.5em}h2{font-size:1.15em;margin:0}code,pre,textarea,input{font-family:ui-monospace,monospace}
section{border:1px solid #ccd;border-radius:6px;margin:14px 0;padding:10px 14px}
.method{display:inline-block;min-width:4.5em;font-weight:bold;color:#fff;border-radius:4px;padding:2px 6px;
text-align:center;margin-right:8px}.get{background:#2f6fb0}.post{background:#2f8a4f}
table{border-collapse:collapse;margin:6px 0}td,th{border-bottom:1px solid #e4e4ee;padding:3px 8px;text-align:left;
vertical-align:top}textarea{width:100%;min-height:9em;box-sizing:border-box}input.path{width:60%}
pre.answer{background:#f5f5fa;padding:8px;max-height:28em;overflow:auto;white-space:pre-wrap}
pre.answer:empty{display:none}
.status{font-weight:bold}
"""

_SCRIPT = """
const tokenBox = document.getElementById('token');
tokenBox.value = sessionStorage.getItem('medinsure-token') || '';
tokenBox.addEventListener('change', () => sessionStorage.setItem('medinsure-token', tokenBox.value));
async function send(id) {
  const form = document.getElementById(id);
  const out = form.querySelector('pre.answer');
  const headers = {'Accept': form.querySelector('select.accept').value};
  if (tokenBox.value) headers['Authorization'] = 'Bearer ' + tokenBox.value;
  const init = {method: form.dataset.method, headers: headers};
  const body = form.querySelector('textarea');
  if (body && body.value.trim()) { headers['Content-Type'] = 'application/json'; init.body = body.value; }
  out.textContent = '…';
  try {
    const answer = await fetch(form.querySelector('input.path').value, init);
    const text = await answer.text();
    let shown = text;
    try { shown = JSON.stringify(JSON.parse(text), null, 2); } catch (e) {}
    out.innerHTML = '';
    const status = document.createElement('div');
    status.className = 'status';
    status.textContent = answer.status + ' ' + (answer.headers.get('Content-Type') || '');
    out.appendChild(status);
    out.appendChild(document.createTextNode(shown));
    out.dataset.status = String(answer.status);
  } catch (e) {
    out.textContent = 'not sent: ' + e;
  }
}
for (const button of document.querySelectorAll('button.send')) {
  button.addEventListener('click', () => send(button.dataset.form));
}
const run = new URLSearchParams(location.search).get('run');
if (run && document.getElementById(run)) send(run);
"""


def _text(text: str) -> str:
    """Description text as HTML: escaped, with `code` in backticks shown as code."""
    return re.sub(r"`([^`]+)`", r"<code>\1</code>", html.escape(text))


def _example_path(path: str, operation: dict[str, Any]) -> str:
    query = []
    for parameter in operation.get("parameters", []):
        example = parameter.get("example")
        if parameter["in"] == "path":
            path = path.replace("{" + parameter["name"] + "}", str(example))
        elif parameter["in"] == "query" and parameter["name"] == "year":
            query.append(f"year={example}")
    return path + ("?" + "&".join(query) if query else "")


def _operation(path: str, method: str, operation: dict[str, Any]) -> str:
    e = html.escape
    op_id = operation["operationId"]
    rows = "".join(
        f"<tr><td><code>{e(p['name'])}</code></td><td>{e(p['in'])}</td><td>{_text(p.get('description', ''))}</td></tr>"
        for p in operation.get("parameters", [])
    )
    params = f"<table><tr><th>parameter</th><th>in</th><th></th></tr>{rows}</table>" if rows else ""
    responses = "".join(
        f"<tr><td><code>{e(code)}</code></td><td>{_text(r.get('description', ''))}</td></tr>"
        for code, r in operation["responses"].items()
    )
    body = ""
    if "requestBody" in operation:
        example = operation["requestBody"]["content"]["application/json"]["example"]
        body = f"<textarea>{e(json.dumps(example, ensure_ascii=False, indent=2))}</textarea>"
    media = [m for r in operation["responses"].values() for m in r.get("content", {}) if "problem" not in m]
    accepts = "".join(f"<option>{e(m)}</option>" for m in dict.fromkeys(media))
    return (
        f'<section><h2><span class="method {e(method)}">{e(method.upper())}</span><code>{e(path)}</code></h2>'
        f"<p>{_text(operation.get('summary', ''))}</p><p>{_text(operation.get('description', ''))}</p>{params}"
        f'<form id="{e(op_id)}" data-method="{e(method.upper())}" onsubmit="return false">'
        f'<input class="path" value="{e(_example_path(path, operation))}"> '
        f'<select class="accept">{accepts}</select> '
        f'<button type="button" class="send" data-form="{e(op_id)}">Send</button>{body}'
        f'<pre class="answer"></pre></form>'
        f"<details><summary>responses</summary><table>{responses}</table></details></section>"
    )


def docs_page(document: dict[str, Any]) -> str:
    """The documentation page of an OpenAPI document."""
    e = html.escape
    info = document["info"]
    sections = "".join(
        _operation(path, method, operation)
        for path, methods in document["paths"].items()
        for method, operation in methods.items()
    )
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{e(info['title'])}</title><style>{_STYLE}</style></head><body>"
        f"<h1>{e(info['title'])} <small>{e(info['version'])}</small></h1>"
        f"<p>{_text(info['summary'])}</p><p>{_text(info['description'])}</p>"
        '<p>The OpenAPI 3.1 document: <a href="/openapi.json">/openapi.json</a>. '
        'Bearer token (if the server has one): <input id="token" type="password" size="40"></p>'
        f"{sections}<script>{_SCRIPT}</script></body></html>"
    )
