"""Canonical HTML for comparing the renderer with the CommonMark spec."""
from __future__ import annotations

import html
from html.parser import HTMLParser

#: Attributes the platform adds on purpose: heading anchors, rel on links.
ADDED_ATTRS = {("h2", "id"), ("h3", "id"), ("h4", "id"), ("a", "rel")}
BLOCK = set("p ul ol li blockquote pre h1 h2 h3 h4 h5 h6 hr table thead tbody tr th td div "
            "section dl dt dd aside details summary figure".split())


class _Canon(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.pre = 0

    def handle_starttag(self, tag, attrs):
        if tag == "pre":
            self.pre += 1
        kept = sorted((k, html.escape(v or "", quote=True)) for k, v in attrs
                      if (tag, k) not in ADDED_ATTRS)
        shown = "".join(f' {k}="{v}"' for k, v in kept)
        self.out.append(f"<{tag}{shown}>")

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag):
        if tag == "pre":
            self.pre -= 1
        self.out.append(f"</{tag}>")

    def handle_data(self, data):
        self.out.append(html.escape(data, quote=False) if self.pre else
                        html.escape(data, quote=False))

    def handle_comment(self, data):
        self.out.append(f"<!--{data}-->")


def normalise(markup: str) -> str:
    parser = _Canon()
    parser.feed(markup)
    parser.close()
    text = "".join(parser.out)
    # whitespace next to block tags carries no meaning
    for tag in BLOCK:
        for form in (f"<{tag}>", f"</{tag}>"):
            text = text.replace("\n" + form, form).replace(form + "\n", form)
    return text.strip()
