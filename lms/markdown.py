"""THE one Markdown renderer: markdown-it-py + mdit-py-plugins, sanitised by nh3. No Flask import.

Lesson bodies, quiz stems and options, forum posts, bios... all go through :func:`render`,
:func:`render_document` or :func:`render_inline`. One sanitiser policy for everyone: raw HTML may
appear in Markdown, but whatever nh3 does not allow (scripts, event handlers, styles, iframes,
svg, forms, ``javascript:``/``data:`` URLs...) is removed.

Supported: CommonMark, tables, strikethrough, front matter (stripped, in files only: pass
``file=True``; a post or preview that starts with a ``---`` block keeps it), footnotes, task lists
(disabled checkboxes), definition lists, ids on h2-h4 (slugified, unique), fenced code
(``language-*`` class kept) and MkDocs-style admonitions (4-space indented body)::

    !!! case-study "Riverside Flats"
        Body. (``!!! case_study`` is an alias; no title: the type is the title.)

``!!!`` gives ``<aside class="admonition TYPE" role="note">``, ``???``/``???+`` a closed/open
``<details>``. TYPE is one of ``ADMONITION_TYPES``; another type gets the bare ``admonition`` class.
"""

from __future__ import annotations

import hashlib
import html as html_lib
import posixpath
import re
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import nh3
from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore
from markupsafe import Markup
from mdit_py_plugins.admon import admon_plugin
from mdit_py_plugins.anchors import anchors_plugin
from mdit_py_plugins.deflist import deflist_plugin
from mdit_py_plugins.footnote import footnote_plugin
from mdit_py_plugins.front_matter import front_matter_plugin
from mdit_py_plugins.tasklists import tasklists_plugin

__all__ = [
    "CacheInfo", "RenderedDoc", "cache_info", "clear_cache", "render", "render_document",
    "render_inline", "sanitize", "slugify",
]

ADMONITION_TYPES = frozenset(
    "note abstract summary info tip hint success question warning caution attention failure "
    "danger error bug example quote important case-study".split()
)
_OTHER_CLASSES = frozenset(
    "admonition admonition-title footnotes footnotes-sep footnotes-list footnote-item "
    "footnote-ref footnote-backref contains-task-list task-list-item task-list-item-checkbox "
    "table-wrap".split()
)
_SAFE_CLASSES = ADMONITION_TYPES | _OTHER_CLASSES
EXTERNAL_REL = "noopener noreferrer nofollow"
_TAGS = set(
    "p br hr h1 h2 h3 h4 h5 h6 a img ul ol li blockquote pre code em strong del s sup sub table "
    "thead tbody tr th td dl dt dd section div aside input label span abbr kbd mark details "
    "summary figure figcaption".split()
)
_ATTRIBUTES: dict[str, set[str]] = {
    **{f"h{n}": {"id"} for n in range(1, 7)},
    **{t: {"class"} for t in ("ul", "code", "section", "div", "aside", "p", "hr", "sup")},
    "a": {"href", "title", "id", "class"}, "img": {"src", "alt", "title", "width", "height"},
    "ol": {"start", "class"}, "li": {"id", "class"}, "input": {"class", "checked"},
    "abbr": {"title"}, "details": {"open", "class"},
}
_ALIGN = {"align": {"left", "center", "right"}}
#: A wide table's scroll box takes focus (tabindex 0 only), so keyboard users can scroll it.
_TAG_ATTRIBUTE_VALUES = {"th": _ALIGN, "td": _ALIGN, "aside": {"role": {"note"}},
                         "div": {"tabindex": {"0"}}}
_SET_ATTRIBUTES = {"input": {"type": "checkbox", "disabled": "disabled"}}
_CLEAN_CONTENT = set(
    "script style template noscript iframe object embed svg math textarea select title xmp "
    "noembed noframes".split()
)
_SCHEME_RE = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")
_EXTERNAL_RE = re.compile(r"^(?:https?:|mailto:|//)", re.IGNORECASE)
_ID_RE = re.compile(r"^[\w:-]{1,120}$")
_LANG_RE = re.compile(r"^language-[\w+#.-]{1,40}$")
_NUMBER_RE = re.compile(r"^\d{1,5}%?$")
_START_RE = re.compile(r"^\d{1,9}$")
_A_TAG_RE = re.compile(r'<a((?:\s+[^\s="<>]+(?:="[^"]*")?)*)\s*>')
_TAG_RE = re.compile(r"<[^>]*>")
_WORD_RE = re.compile(r"\w[\w'’-]*")
_CACHE_MAXSIZE = 2048


class CacheInfo(NamedTuple):
    """Counters of the render cache (like ``functools.lru_cache``'s)."""

    hits: int
    misses: int
    maxsize: int
    currsize: int


@dataclass(frozen=True)
class RenderedDoc:
    """A rendered document: sanitised HTML, its h2/h3 table of contents and its word count."""

    html: Markup
    toc: list[dict[str, Any]] = field(default_factory=list)
    words: int = 0


def slugify(text: str) -> str:
    """Turn a heading into an id: lower case, word characters and hyphens only."""
    slug = re.sub(r"[^\w\s-]", "", text.lower()).strip()
    return re.sub(r"[\s_-]+", "-", slug).strip("-")[:80] or "section"


def _admonition_kind(tag: str) -> str:
    kind = tag.lower().replace("_", "-")
    return kind if kind in ADMONITION_TYPES else ""


def _fixups(state: StateCore) -> None:
    """Shift heading levels, turn table alignment styles into ``align``, name untitled boxes."""
    offset = int(state.env.get("heading_offset", 0) or 0)
    for i, tok in enumerate(state.tokens):
        if offset and tok.type in ("heading_open", "heading_close"):
            tok.tag = f"h{min(6, max(1, int(tok.tag[1]) + offset))}"
        elif tok.type in ("th_open", "td_open") and tok.attrs.get("style"):
            align = str(tok.attrs.pop("style")).removeprefix("text-align:")
            tok.attrSet("align", align)
        elif tok.type == "admonition_open" and len(tok.info.split()) == 1:
            kind = _admonition_kind(tok.meta.get("tag", "")) or tok.meta.get("tag", "")
            if state.tokens[i + 1].type == "admonition_title_open":
                state.tokens[i + 2].content = kind.replace("-", " ").capitalize()


def _render_admonition(self: Any, tokens: list[Any], idx: int, options: Any, env: Any) -> str:
    tok = tokens[idx]
    collapsible = tok.markup.startswith("?")
    if tok.type == "admonition_close":
        return "</details>\n" if collapsible else "</aside>\n"
    if tok.type == "admonition_title_open":
        return "<summary>" if collapsible else '<p class="admonition-title">'
    if tok.type == "admonition_title_close":
        return "</summary>\n" if tokens[idx - 2].markup.startswith("?") else "</p>\n"
    kind = _admonition_kind(tok.meta.get("tag", ""))
    classes = f"admonition {kind}".strip()
    if collapsible:
        return f'<details class="{classes}"{" open" if tok.markup.endswith("+") else ""}>\n'
    return f'<aside class="{classes}" role="note">\n'


def _build_parser(*, front_matter: bool) -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": True, "linkify": False, "typographer": False})
    md.enable(["table", "strikethrough"])
    if front_matter:
        md.use(front_matter_plugin)
    md.use(footnote_plugin).use(deflist_plugin)
    md.use(tasklists_plugin, label=True).use(admon_plugin, render=_render_admonition)
    md.core.ruler.before("inline", "lms_fixups", _fixups)
    md.use(anchors_plugin, min_level=2, max_level=4, slug_func=slugify)
    md.add_render_rule("front_matter", lambda *_args: "")
    md.add_render_rule("table_open",
                       lambda *_a: '<div class="table-wrap" tabindex="0">\n<table>\n')
    md.add_render_rule("table_close", lambda *_a: "</table>\n</div>\n")
    return md


_MD = _build_parser(front_matter=False)       # text: posts, responses, bodies, stems
_MD_FILE = _build_parser(front_matter=True)   # a whole file whose front matter is not shown
_NUMBER_PREFIX_RE = re.compile(r"^\d+-")


def _rewrite_url(url: str, link_base: str | None, doc_dir: str = "") -> str:
    """Prefix a relative URL with ``link_base`` after dropping ./, ../ and a leading assets/.

    A relative link to another Markdown file of the course (``../02-pillars/01-racial-equity.md``)
    becomes that item's page (``/courses/CODE/items/pillars/racial-equity``): it is resolved
    against ``doc_dir``, the folder of the document being rendered, inside the course folder.
    """
    if not link_base or not url or _SCHEME_RE.match(url) or url.startswith(("/", "#")):
        return url
    path, hashmark, fragment = url.partition("#")
    if path.endswith(".md"):
        return _item_url(path, link_base, doc_dir) + hashmark + fragment
    while path.startswith(("./", "../")):
        path = path.split("/", 1)[1]
    path = path.removeprefix("assets/")
    return link_base.rstrip("/") + "/" + path + hashmark + fragment


def _item_url(path: str, link_base: str, doc_dir: str) -> str:
    course_url = link_base.rstrip("/").removesuffix("/assets")
    joined = posixpath.normpath(posixpath.join(doc_dir or ".", path))
    if joined.startswith("..") or posixpath.basename(joined) in ("course.md", "module.md"):
        return course_url
    segments = [_NUMBER_PREFIX_RE.sub("", part) for part in joined.removesuffix(".md").split("/")]
    return course_url + "/items/" + "/".join(segments)


#: What browsers strip around a URL before reading its scheme (C0 controls and space); tab and
#: newlines they drop anywhere. Python's str.strip() strips more (U+2028...): never use it here.
_URL_STRIP = "".join(chr(c) for c in range(0x21))
_SCHEME_RE = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.-]*):")
_URL_SCHEMES = frozenset({"http", "https", "mailto"})


def _scheme_allowed(url: str) -> bool:
    """A relative URL, or one whose scheme is http, https or mailto: as a browser reads it, and
    as a lenient one would with every Unicode space and control removed (U+2028...)."""
    for probe in (re.sub(r"[\t\n\r]", "", url).lstrip(_URL_STRIP),
                  re.sub(r"[\s\x00-\x1f\x7f]", "", url)):
        found = _SCHEME_RE.match(probe)
        if found is not None and found.group(1).lower() not in _URL_SCHEMES:
            return False
    return True


def _attribute_filter(link_base: str | None, doc_dir: str = ""):  # noqa: ANN202 - a closure
    def check(tag: str, attr: str, value: str) -> str | None:
        if attr == "class":
            allowed = _LANG_RE.match if tag == "code" else _SAFE_CLASSES.__contains__
            kept = [c for c in value.split() if allowed(c)][:4]
            return " ".join(kept) or None
        if attr == "id":
            return value if _ID_RE.match(value) else None
        if attr == "start":  # CommonMark allows list numbers of up to nine digits
            return value if _START_RE.match(value.strip()) else None
        if attr in ("width", "height"):
            return value if _NUMBER_RE.match(value.strip()) else None
        if attr in ("href", "src"):
            value = value.strip(_URL_STRIP)
            if not _scheme_allowed(value):
                return None  # nh3 checked the scheme before this filter: check what we return
            if attr == "src" and (value.lower().startswith("mailto:")
                                  or _EXTERNAL_RE.match(value)):
                return None  # images load from our origin only: no tracking pixels (CSP too)
            return _rewrite_url(value, link_base, doc_dir)
        return value

    return check


def _fix_rel(html: str) -> str:
    """Keep ``rel`` only on external links (nh3 puts it on every ``<a>``)."""

    def fix(match: re.Match[str]) -> str:
        attrs = match.group(1)
        href = re.search(r'\shref="([^"]*)"', attrs)
        if href and _EXTERNAL_RE.match(html_lib.unescape(href.group(1))):
            return match.group(0)
        return "<a" + attrs.replace(f' rel="{EXTERNAL_REL}"', "") + ">"

    return _A_TAG_RE.sub(fix, html)


def sanitize(html: str, *, link_base: str | None = None, doc_dir: str = "") -> str:
    """Clean an HTML fragment with the one policy (see the module docstring)."""
    cleaned = nh3.clean(
        html, tags=_TAGS, clean_content_tags=_CLEAN_CONTENT, attributes=_ATTRIBUTES,
        attribute_filter=_attribute_filter(link_base, doc_dir), strip_comments=True,
        link_rel=EXTERNAL_REL,
        tag_attribute_values=_TAG_ATTRIBUTE_VALUES, set_tag_attribute_values=_SET_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
    )
    return _fix_rel(cleaned)


_cache: OrderedDict[str, tuple[str, tuple[tuple[int, str, str], ...], int]] = OrderedDict()
_cache_lock = threading.Lock()
_stats = {"hits": 0, "misses": 0}


def _plain_text(inline: Any) -> str:
    """The text of an inline token (what a heading says, without its markup)."""
    parts = (c.content for c in inline.children or () if c.type in ("text", "code_inline"))
    return "".join(parts).strip()


def _render_cached(text: str, *, inline: bool, link_base: str | None,  # noqa: ANN202
                   heading_offset: int, doc_dir: str = "", file: bool = False):
    """(html, toc, words) of ``text``, from the LRU cache keyed by sha256 of text + options."""
    key = (f"{int(inline)}{int(file)}\x00{link_base or ''}\x00{doc_dir}\x00{heading_offset}"
           f"\x00{text}")
    key = hashlib.sha256(key.encode()).hexdigest()
    with _cache_lock:
        if key in _cache:
            _cache.move_to_end(key)
            _stats["hits"] += 1
            return _cache[key]
        _stats["misses"] += 1
    env: dict[str, Any] = {"heading_offset": heading_offset}
    md = _MD_FILE if file else _MD
    tokens = md.parseInline(text, env) if inline else md.parse(text, env)
    html = sanitize(md.renderer.render(tokens, md.options, env), link_base=link_base,
                    doc_dir=doc_dir)
    toc = tuple(
        (int(tok.tag[1]), str(tok.attrGet("id")), _plain_text(tokens[i + 1]))
        for i, tok in enumerate(tokens)
        if tok.type == "heading_open" and tok.tag in ("h2", "h3") and tok.attrGet("id")
    )
    text_only = html_lib.unescape(_TAG_RE.sub(" ", html)).replace("\u21a9", "")
    result = (html, toc, len(_WORD_RE.findall(text_only)))
    with _cache_lock:
        _cache[key] = result
        while len(_cache) > _CACHE_MAXSIZE:
            _cache.popitem(last=False)
    return result


def render_document(
    text: str | None, *, link_base: str | None = None, heading_offset: int = 0,
    doc_dir: str = "", file: bool = False,
) -> RenderedDoc:
    """Render a whole Markdown document with its toc and word count.

    ``file=True``: ``text`` is a whole course file (the editor's source), whose leading YAML
    front matter is stripped. Anything else (an item's body, a post, a response, a preview of
    either) is text: a leading ``---`` block there is a thematic break and a paragraph or
    heading, as CommonMark says, never hidden.

    ``toc`` lists the h2/h3 headings as ``{"level", "id", "text"}`` dicts; ``words`` counts the
    words of the rendered text. ``link_base``/``heading_offset`` are as for :func:`render`;
    ``doc_dir`` is the document's folder in its course (``03-commitments``; "" at the top), for
    links to other lessons.
    """
    html, toc, words = _render_cached(
        text or "", inline=False, link_base=link_base, heading_offset=heading_offset,
        doc_dir=doc_dir, file=file,
    )
    entries = [{"level": level, "id": hid, "text": title} for level, hid, title in toc]
    return RenderedDoc(html=Markup(html), toc=entries, words=words)  # noqa: S704 - sanitised


def render(
    text: str | None, *, link_base: str | None = None, heading_offset: int = 0,
    trusted: bool = False,
) -> Markup:
    """Render Markdown to sanitised HTML, safe to put in a template as is.

    ``link_base``: when given, relative link and image URLs (not starting with a scheme, ``/``,
    ``#`` or ``//``) become ``link_base`` + the path with leading ``./`` and ``../`` segments and
    one leading ``assets/`` removed: with ``link_base="/courses/JC-101/assets/"`` both
    ``assets/map.png`` and ``../assets/map.png`` become ``/courses/JC-101/assets/map.png``.
    This applies to raw HTML ``<a href>``/``<img src>`` too.
    ``heading_offset`` shifts heading levels (``1``: ``#`` renders as ``<h2>``; capped at h6).
    ``trusted`` is accepted for readability at call sites but changes nothing: authors and
    learners get the same pipeline and the same sanitiser policy.
    """
    del trusted  # one policy for everyone
    return render_document(text, link_base=link_base, heading_offset=heading_offset).html


def render_inline(text: str | None, *, link_base: str | None = None) -> Markup:
    """Render one line of inline Markdown (e.g. a quiz option) without a wrapping ``<p>``."""
    html = _render_cached(text or "", inline=True, link_base=link_base, heading_offset=0)[0]
    return Markup(html)  # noqa: S704 - sanitised by nh3


def cache_info() -> CacheInfo:
    """Hits, misses, maximum and current size of the render cache."""
    with _cache_lock:
        return CacheInfo(_stats["hits"], _stats["misses"], _CACHE_MAXSIZE, len(_cache))


def clear_cache() -> None:
    """Empty the render cache and reset its counters."""
    with _cache_lock:
        _cache.clear()
        _stats.update(hits=0, misses=0)


def new_parser(*, front_matter: bool) -> MarkdownIt:
    """A fresh parser configured as the renderer's, for tools that read the tokens (the course
    linter finds links, headings and fences with it, so it sees what the renderer sees).
    front_matter: the text is a whole file that may open with a YAML block."""
    return _build_parser(front_matter=front_matter)
