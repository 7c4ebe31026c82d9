"""The authoring Markdown scan finds links, headings and fences as the renderer does."""
from lms.authoring.markdown_scan import fence_flags, first_heading, iter_links, link_label

DOC = """---
title: Links
summary: "[not a link](front-matter.md)"
---
See [a](a.md) and
![b](<b c.png>) then [r][ref].

| col | col |
|---|---|
| [t](t.md) | x |

!!! note
    Inside [n](n.md).

        code [x](indented.md)

```
[f](fenced.md)
```

[ref]: ./r.pdf
"""


def test_links_carry_their_file_line_and_skip_front_matter_and_code():
    found = list(iter_links(DOC))
    assert found == [(5, "a.md", False), (6, "b%20c.png", True), (10, "t.md", False),
                     (13, "n.md", False), (21, "./r.pdf", False)]


def test_a_reference_link_is_reported_once_at_its_definition():
    found = list(iter_links("[x][r] and [y][r]\n\n[r]: gone.md\n"))
    assert found == [(3, "gone.md", False)]


def test_link_label_undoes_the_parsers_percent_encoding():
    assert link_label("b%20c.png") == "b c.png"


def test_first_heading_ignores_headings_in_code_and_accepts_setext():
    assert first_heading("```\n# not this\n```\n\n# Real *one* #\n") == "Real *one*"
    assert first_heading("Title\n=====\n\ntext\n") == "Title"
    assert first_heading("## only a subheading\n") is None


def test_a_fence_inside_a_quote_does_not_count():
    assert fence_flags(["> ```", "> code", "> ```", "after"]) == [False] * 4
