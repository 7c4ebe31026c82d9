"""Tests of lms/markdown.py: features, the sanitiser policy, link_base and the cache."""

from __future__ import annotations

import re
import textwrap
from html.parser import HTMLParser

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from markupsafe import Markup

from lms import markdown as md


def _doc(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


# --- basic rendering -------------------------------------------------------------------------


def test_render_returns_markup_with_paragraph_and_emphasis() -> None:
    out = md.render("Hello *world* and **bold** and ~~gone~~.")
    assert isinstance(out, Markup)
    assert out.startswith("<p>")
    assert "<em>world</em>" in out
    assert "<strong>bold</strong>" in out
    assert re.search(r"<(s|del)>gone</(s|del)>", out)


def test_render_none_and_empty_give_empty_markup() -> None:
    assert md.render("") == Markup("")
    assert md.render(None) == Markup("")


def test_render_inline_has_no_paragraph() -> None:
    out = md.render_inline("Racial **Equity** and `code`")
    assert isinstance(out, Markup)
    assert "<p>" not in out
    assert out == Markup("Racial <strong>Equity</strong> and <code>code</code>")


def test_render_inline_is_sanitised_too() -> None:
    out = md.render_inline('ok <img src=x onerror="alert(1)"> [x](javascript:alert(1))')
    assert "onerror" not in out
    assert "href" not in out  # the javascript: link stays plain text


def test_front_matter_is_stripped_from_files() -> None:
    doc = md.render_document(_doc("""
        ---
        title: Secret title
        type: lesson
        ---
        Body text.
        """), file=True)
    assert "Secret title" not in doc.html
    assert "type:" not in doc.html
    assert "<hr" not in doc.html
    assert "<p>Body text.</p>" in doc.html


def test_fenced_code_keeps_language_class_and_escapes() -> None:
    out = md.render("```python\nprint('<b>')\n```")
    assert '<pre><code class="language-python">' in out
    assert "print('&lt;b&gt;')" in out or "print(&#39;&lt;b&gt;&#39;)" in out


def test_code_class_other_than_language_is_dropped() -> None:
    out = md.render('<code class="evil language-js">x</code>')
    assert '<code class="language-js">' in out


# --- tables --------------------------------------------------------------------------------


def test_table_with_alignment_uses_align_attribute_and_scroll_wrapper() -> None:
    out = md.render(_doc("""
        | Criterion | Exemplary (4) | Beginning (1) |
        |:---|:---:|---:|
        | Centres community voice | a | b |
        """))
    assert '<div class="table-wrap" tabindex="0">' in out
    assert "<table>" in out and "<thead>" in out and "<tbody>" in out
    assert '<th align="left">Criterion</th>' in out
    assert '<th align="center">Exemplary (4)</th>' in out
    assert '<td align="right">b</td>' in out
    assert "style=" not in out


# --- footnotes, task lists, definition lists ---------------------------------------------------


def test_footnote_reference_and_list() -> None:
    out = md.render("Claim.[^src]\n\n[^src]: The source.\n")
    assert '<sup class="footnote-ref"><a href="#fn1" id="fnref1">' in out
    assert '<section class="footnotes">' in out
    assert '<ol class="footnotes-list">' in out
    assert '<li id="fn1" class="footnote-item">' in out
    assert "The source." in out
    assert 'href="#fnref1"' in out and 'class="footnote-backref"' in out
    assert "rel=" not in out  # internal links carry no rel


def test_task_list_renders_disabled_checkboxes() -> None:
    out = md.render("- [ ] to do\n- [x] done\n")
    assert '<ul class="contains-task-list">' in out
    boxes = re.findall(r"<input[^>]*>", out)
    assert len(boxes) == 2
    assert all('type="checkbox"' in b and "disabled" in b for b in boxes)
    assert "checked" not in boxes[0] and "checked" in boxes[1]
    assert "to do" in out and "done" in out


def test_raw_input_is_forced_to_disabled_checkbox() -> None:
    out = md.render('<input type="text" name="password" value="x" onfocus="alert(1)">')
    assert 'type="checkbox"' in out and 'disabled="disabled"' in out
    assert 'type="text"' not in out and "name=" not in out and "onfocus" not in out


def test_definition_list() -> None:
    out = md.render("Pillar\n: A founding principle of the framework.\n")
    assert "<dl>" in out
    assert "<dt>Pillar</dt>" in out
    assert "<dd>A founding principle of the framework.</dd>" in out


# --- admonitions -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "kind", "title"),
    [
        ('!!! note "Before you start"\n    Read the *Protocol*.\n', "note", "Before you start"),
        ("!!! tip\n    Read the *Protocol*.\n", "tip", "Tip"),
        ("!!! warning\n    Read the *Protocol*.\n", "warning", "Warning"),
        ('!!! case-study "Riverside Flats"\n    Read the *Protocol*.\n', "case-study",
         "Riverside Flats"),
        ("!!! case_study\n    Read the *Protocol*.\n", "case-study", "Case study"),
    ],
)
def test_admonition_is_an_accessible_box(source: str, kind: str, title: str) -> None:
    out = md.render(source)
    assert f'<aside class="admonition {kind}" role="note">' in out
    assert f'<p class="admonition-title">{title}</p>' in out
    assert "<p>Read the <em>Protocol</em>.</p>" in out
    assert out.strip().endswith("</aside>")


def test_admonition_body_may_hold_lists_and_following_text_is_outside() -> None:
    out = md.render('!!! note "N"\n    - one\n    - two\n\nAfter.\n')
    inside, _, after = out.partition("</aside>")
    assert "<li>one</li>" in inside and "<li>two</li>" in inside
    assert "<p>After.</p>" in after


def test_unknown_admonition_type_keeps_only_generic_class() -> None:
    out = md.render('!!! modal-backdrop "Hi"\n    x\n')
    assert '<aside class="admonition" role="note">' in out
    assert "modal-backdrop" not in out.split(">", 1)[0]


def test_collapsible_admonition_is_details() -> None:
    out = md.render('???+ tip "More"\n    Hidden.\n\n??? note\n    Closed.\n')
    assert '<details class="admonition tip" open' in out
    assert "<summary>More</summary>" in out
    assert '<details class="admonition note">' in out
    assert "<summary>Note</summary>" in out


def test_raw_html_class_is_limited_to_known_classes() -> None:
    out = md.render('<div class="admonition note hidden sr-only">x</div>')
    assert '<div class="admonition note">' in out


# --- headings and toc ---------------------------------------------------------------------------


def test_heading_ids_toc_and_uniqueness() -> None:
    doc = md.render_document(_doc("""
        # Course title

        ## The Two *Pillars*

        ### Racial equity

        #### Detail

        ## The Two Pillars
        """))
    assert "<h1>Course title</h1>" in doc.html
    assert '<h2 id="the-two-pillars">' in doc.html
    assert '<h3 id="racial-equity">' in doc.html
    assert '<h4 id="detail">' in doc.html
    assert '<h2 id="the-two-pillars-1">' in doc.html
    assert doc.toc == [
        {"level": 2, "id": "the-two-pillars", "text": "The Two Pillars"},
        {"level": 3, "id": "racial-equity", "text": "Racial equity"},
        {"level": 2, "id": "the-two-pillars-1", "text": "The Two Pillars"},
    ]


def test_heading_offset_shifts_levels() -> None:
    out = md.render("# Post title\n\n###### deep", heading_offset=2)
    assert '<h3 id="post-title">Post title</h3>' in out
    assert "<h6>deep</h6>" in out


def test_word_count() -> None:
    doc = md.render_document("---\ntitle: a b c\n---\nOne two *three*.\n\n- four\n- five six\n",
                             file=True)
    assert doc.words == 6


def test_slugify() -> None:
    assert md.slugify("Hello, World!") == "hello-world"
    assert md.slugify("  Équité & logement  ") == "équité-logement"
    assert md.slugify("???") == "section"


# --- links and images ----------------------------------------------------------------------------

BASE = "/courses/JC-101/assets/"


@pytest.mark.parametrize(
    "url", ["assets/map.png", "../assets/map.png", "./assets/map.png", "map.png", "./../map.png"]
)
def test_link_base_rewrites_relative_images_and_links(url: str) -> None:
    out = md.render(f"![Map]({url}) [download]({url})", link_base=BASE)
    assert '<img src="/courses/JC-101/assets/map.png" alt="Map">' in out
    assert '<a href="/courses/JC-101/assets/map.png">download</a>' in out


def test_link_base_without_trailing_slash_and_raw_html() -> None:
    out = md.render('<img src="assets/a.png" alt="A">', link_base="/c/X/assets")
    assert 'src="/c/X/assets/a.png"' in out


@pytest.mark.parametrize(
    "url", ["https://example.org/a.png", "/static/a.png", "#section", "//cdn.example.org/a.png",
            "mailto:a@example.org"]
)
def test_link_base_leaves_absolute_urls_alone(url: str) -> None:
    out = md.render(f"[x]({url})", link_base=BASE)
    assert f'href="{url}"' in out


def test_without_link_base_relative_urls_are_kept() -> None:
    out = md.render("![m](assets/map.png)")
    assert 'src="assets/map.png"' in out


def test_external_links_get_rel_internal_do_not() -> None:
    out = md.render("[a](https://example.org) [b](/courses) [c](#x) [d](http://e.org)")
    assert '<a href="https://example.org" rel="noopener noreferrer nofollow">a</a>' in out
    assert '<a href="http://e.org" rel="noopener noreferrer nofollow">d</a>' in out
    assert '<a href="/courses">b</a>' in out
    assert '<a href="#x">c</a>' in out


def test_user_rel_and_target_are_replaced() -> None:
    out = md.render('<a href="https://e.org" rel="opener" target="_blank">x</a>')
    assert 'rel="noopener noreferrer nofollow"' in out
    assert "opener\"" not in out.replace("noopener", "")
    assert "target" not in out


def test_image_attributes_kept_and_bad_sizes_dropped() -> None:
    out = md.render('<img src="/a.png" alt="A" title="T" width="200" height="x;1">')
    assert 'width="200"' in out and 'alt="A"' in out and 'title="T"' in out
    assert "height" not in out


def test_allowed_raw_inline_tags_survive() -> None:
    out = md.render(
        "Press <kbd>Ctrl</kbd>, <mark>this</mark>, <abbr title=\"Accredited Practitioner\">AP"
        "</abbr>, H<sub>2</sub>O, x<sup>2</sup>."
    )
    for frag in ("<kbd>Ctrl</kbd>", "<mark>this</mark>",
                 '<abbr title="Accredited Practitioner">AP</abbr>', "<sub>2</sub>", "<sup>2</sup>"):
        assert frag in out


def test_figure_and_details_survive() -> None:
    out = md.render(
        "<figure>\n<img src=\"/a.png\" alt=\"a\">\n<figcaption>Cap</figcaption>\n</figure>\n\n"
        "<details>\n<summary>More</summary>\nHidden\n</details>\n"
    )
    assert "<figure>" in out and "<figcaption>Cap</figcaption>" in out
    assert "<details>" in out and "<summary>More</summary>" in out


# --- XSS ------------------------------------------------------------------------------------------

XSS_PAYLOADS = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    '<img src="x" onerror="alert(1)">',
    "<img src=x onerror=alert(1)//>",
    '<svg onload="alert(1)"><circle r="1"/></svg>',
    '<svg><script>alert(1)</script></svg>',
    '<iframe srcdoc="<script>alert(1)</script>"></iframe>',
    '<iframe src="javascript:alert(1)"></iframe>',
    "[click](javascript:alert(1))",
    "[click](JAVASCRIPT:alert(1))",
    "[click](  javascript:alert(1))",
    "[click](jav&#x09;ascript:alert(1))",
    "[click](vbscript:msgbox(1))",
    '<a href="javascript:alert(1)">x</a>',
    '<a href="jav&#x09;ascript:alert(1)">x</a>',
    '<a href="  JaVaScRiPt:alert(1)">x</a>',
    '<a href="&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;alert(1)">x</a>',
    '<a href="java\nscript:alert(1)">x</a>',
    "![x](data:image/png;base64,iVBORw0KGgo=)",
    '<img src="data:image/svg+xml;base64,PHN2Zz48L3N2Zz4=">',
    '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">x</a>',
    '<p style="background:url(javascript:alert(1))">styled</p>',
    '<div><span><b onclick="alert(1)" onmouseover="alert(2)">nested</b></span></div>',
    '<details open ontoggle="alert(1)"><summary>s</summary></details>',
    "<math><mi xlink:href=\"javascript:alert(1)\">x</mi></math>",
    '<form action="https://evil.example"><input type="submit" formaction="javascript:x"></form>',
    '<base href="https://evil.example/">',
    '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    "<style>body{display:none}</style>",
    "<object data=\"javascript:alert(1)\"></object><embed src=\"javascript:alert(1)\">",
    "<!-- <script>alert(1)</script> -->",
    '<a href="https://ok.example" onclick="alert(1)">ok</a>',
    "<img src=`javascript:alert(1)`>",
    '<video><source onerror="alert(1)"></video>',
    '!!! note "<img src=x onerror=alert(1)>"\n    <script>alert(1)</script>',
    "| a |\n|---|\n| <img src=x onerror=alert(1)> |",
    '- [x] <svg onload=alert(1)>',
    '```"><script>alert(1)</script>\ncode\n```',
    "[x](https://ok.example \"t\" onmouseover=alert(1))",
]


_FORBIDDEN_TAGS = {"script", "iframe", "svg", "math", "form", "base", "meta", "style", "object",
                   "embed", "link", "frame", "frameset", "template", "video", "audio", "source"}


class _TagCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []
        self.comments: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))

    def handle_comment(self, data: str) -> None:
        self.comments.append(data)


def _assert_neutralised(out: str) -> None:
    assert "<script" not in out.lower()
    parser = _TagCollector()
    parser.feed(str(out))
    parser.close()
    assert not parser.comments, out
    for tag, attrs in parser.tags:
        assert tag not in _FORBIDDEN_TAGS, out
        for name, value in attrs:
            assert not name.startswith("on"), out
            assert name not in ("style", "srcdoc", "action", "formaction"), out
            if name in ("href", "src"):
                compact = re.sub(r"[\x00-\x20]", "", value or "").lower()
                assert not compact.startswith(("javascript:", "vbscript:", "data:")), out


def test_xss_payload_list_is_long_enough() -> None:
    assert len(XSS_PAYLOADS) >= 20


@pytest.mark.parametrize("payload", XSS_PAYLOADS)
def test_xss_payload_is_neutralised(payload: str) -> None:
    _assert_neutralised(md.render(payload))
    _assert_neutralised(md.render_inline(payload))
    _assert_neutralised(md.render(payload, link_base=BASE))


_FRAGMENTS = st.sampled_from([
    "<script>", "</script>", "<img src=x ", "onerror=alert(1)", " onload=", "<svg", "<a href=",
    "javascript:", "jav&#x09;ascript:", "data:text/html,", '"', "'", ">", "<", "[x](", ")",
    "![i](", "\n", "\n\n", "    ", "!!! note ", "- [ ] ", "| a |\n|---|\n", "```", "<iframe ",
    "<!--", "-->", "&#", "style=", "<math>", "<form>", "word ", "*", "`",
])


@settings(max_examples=150, deadline=None)
@given(st.lists(_FRAGMENTS, max_size=25).map("".join))
def test_random_mixtures_of_dangerous_fragments_are_neutralised(text: str) -> None:
    _assert_neutralised(md.render(text))
    _assert_neutralised(md.render_inline(text))


def test_text_around_stripped_tags_survives() -> None:
    out = md.render('<div><span><b onclick="alert(1)">nested</b></span></div>')
    assert "nested" in out
    out = md.render("before <script>alert(1)</script> after")
    assert "before" in out and "after" in out and "alert" not in out


# --- cache ----------------------------------------------------------------------------------------


def test_same_text_twice_hits_the_cache() -> None:
    md.clear_cache()
    text = "Cache me *once*."
    first = md.render(text)
    info = md.cache_info()
    assert (info.hits, info.misses, info.currsize) == (0, 1, 1)
    assert md.render(text) == first
    assert md.cache_info().hits == 1
    md.render(text, link_base=BASE)  # different options: a different entry
    assert md.cache_info().misses == 2
    assert md.cache_info().maxsize >= 1000


def test_cached_toc_cannot_be_corrupted_by_callers() -> None:
    md.clear_cache()
    doc = md.render_document("## A\n")
    doc.toc.append({"level": 2, "id": "x", "text": "x"})
    doc.toc[0]["text"] = "changed"
    assert md.render_document("## A\n").toc == [{"level": 2, "id": "a", "text": "A"}]


def test_trusted_flag_changes_nothing() -> None:
    text = "<script>alert(1)</script>*hi*"
    assert md.render(text, trusted=True) == md.render(text)


def test_module_does_not_import_flask() -> None:
    source = open(md.__file__, encoding="utf-8").read()  # noqa: PTH123
    assert not re.search(r"^\s*(import flask|from flask)", source, re.M)


def test_links_between_lessons_become_item_pages():
    base = "/courses/JC-101/assets/"
    html = str(md.render_document(
        "[a](../02-pillars/01-racial-equity.md#why) [b](02-next.md) [c](../course.md) "
        "![map](../assets/map.svg)", link_base=base, doc_dir="03-commitments").html)
    assert 'href="/courses/JC-101/items/pillars/racial-equity#why"' in html
    assert 'href="/courses/JC-101/items/commitments/next"' in html
    assert 'href="/courses/JC-101"' in html
    assert 'src="/courses/JC-101/assets/map.svg"' in html
    top = str(md.render_document("[o](01-orientation.md)", link_base=base).html)
    assert 'href="/courses/JC-101/items/orientation"' in top
