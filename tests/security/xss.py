"""The XSS corpus and the checker of rendered HTML.

`PAYLOADS`: tests/security/data/xss_payloads.txt, one payload a line in JSON string escapes
(`\\n`, `\\u0000`...). `unsafe(html)` parses a page with lxml (the HTML5-ish parser browsers'
quirks are closest to) and lists what could run or load: a <script> without a same-origin src,
an on* attribute, a javascript:/vbscript:/data: URL (data: images excepted: inert under the
CSP), an element that loads a remote resource or embeds (iframe, object, embed, base, meta
refresh, link), CSS that loads (`url(`, `expression(`, `@import`, `behavior`, `-moz-binding`).
"""
from __future__ import annotations

import json
import re
from pathlib import Path

import lxml.html

CORPUS = Path(__file__).parent / "data" / "xss_payloads.txt"
PAYLOADS: list[str] = [json.loads(f'"{line}"') for line in
                       CORPUS.read_text(encoding="utf-8").splitlines()
                       if line and not line.startswith("# ")]

URL_ATTRS = {"href", "src", "action", "formaction", "xlink:href", "data", "poster", "background",
             "srcset", "codebase", "cite", "longdesc", "lowsrc", "dynsrc", "srcdoc"}
EMBEDDING = {"iframe", "frame", "frameset", "object", "embed", "applet", "base", "link", "style",
             "portal", "template"}
BAD_SCHEME = re.compile(r"^\s*(javascript|vbscript|livescript|data(?!:image/(png|gif|jpeg|webp);))"
                        r"\s*:", re.I)
BAD_CSS = re.compile(r"url\s*\(|expression\s*\(|@import|behavior\s*:|-moz-binding", re.I)
# the page's own <link> elements: stylesheets and the icon from /static
OWN_LINK = re.compile(r"^/static/")


def _clean_url(value: str) -> str:
    # what a browser strips before reading the scheme: controls, whitespace
    return re.sub(r"[\x00-\x20\x7f]+", "", value)


def unsafe(html: str) -> list[str]:
    """What in `html` could run script or load a remote resource (empty: safe)."""
    problems = []
    doc = lxml.html.document_fromstring(html or "<p></p>")
    for el in doc.iter():
        if not isinstance(el.tag, str):
            continue
        tag = el.tag.lower()
        if tag == "script" and not OWN_LINK.match(el.get("src") or ""):
            problems.append(f"<script> {lxml.html.tostring(el)[:80]!r}")
        if tag in EMBEDDING and not (tag == "link" and OWN_LINK.match(el.get("href") or "")):
            problems.append(f"<{tag}>")
        if tag == "meta" and (el.get("http-equiv") or "").lower() == "refresh":
            problems.append("<meta refresh>")
        for name, value in el.attrib.items():
            lname = name.lower()
            if lname.startswith("on"):
                problems.append(f"<{tag} {name}=...>")
            if lname in URL_ATTRS or lname.endswith(":href"):
                clean = _clean_url(value)
                if BAD_SCHEME.match(clean):
                    problems.append(f"<{tag} {name}={value[:60]!r}>")
                if (tag not in ("a",) and lname != "action"
                        and re.match(r"^(https?:)?//", clean, re.I)):
                    problems.append(f"remote resource <{tag} {name}={value[:60]!r}>")
            if lname == "style" and BAD_CSS.search(value):
                problems.append(f"<{tag} style={value[:60]!r}>")
    return problems
