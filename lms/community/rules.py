"""Pure rules of the boards: no database, no clock (time comes in as arguments).

Mentions (``@ana-lopez-12``: a handle made of the name and the account id, so it is never
ambiguous), links counted for approval, links to course items found for their cards, post
HTML without remote images, quoting, the name shown for an (anonymous) author, pages.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from markupsafe import Markup

from lms.markdown import render
from lms.text import slugify

MAX_TITLE = 200
MAX_BODY = 20_000
MAX_REASON = 500

_MENTION_RE = re.compile(r"(?<![\w@/])@([a-z0-9][a-z0-9-]{0,80}-(\d{1,10}))\b")
_URL_RE = re.compile(r"(?:https?:)?//[^\s<>()\]]+|\]\(\s*/[^\s)]*", re.IGNORECASE)
_ITEM_LINK_RE = re.compile(r"/courses/([A-Za-z0-9._-]{1,40})/items/([a-z0-9][a-z0-9/_-]{0,249})")
_IMG_RE = re.compile(r"<img\b[^>]*>", re.IGNORECASE)
_SRC_RE = re.compile(r'\ssrc="([^"]*)"')
_ALT_RE = re.compile(r'\salt="([^"]*)"')
_MD_SPECIAL_RE = re.compile(r"([\\`*_{}\[\]()#+\-.!<>|~])")


def handle(name: str, user_id: int) -> str:
    """The @mention handle of a member: ``ana-lopez-12``."""
    return f"{slugify(name, 60) or 'member'}-{user_id}"


def mentioned_ids(body: str) -> list[int]:
    """Account ids named by the @handles of a post, in order, once each."""
    seen: dict[int, None] = {}
    for match in _MENTION_RE.finditer(body or ""):
        seen.setdefault(int(match.group(2)), None)
    return list(seen)


def _escape_md(text: str) -> str:
    return _MD_SPECIAL_RE.sub(r"\\\1", text)


def with_mentions(body: str, names: dict[int, str]) -> str:
    """The body with each resolvable @handle shown as the member's name in bold; a handle of
    someone who cannot see the board (absent from ``names``) stays plain text."""

    def swap(match: re.Match[str]) -> str:
        name = names.get(int(match.group(2)))
        return f"**@{_escape_md(name)}**" if name else match.group(0)

    return _MENTION_RE.sub(swap, body or "")


def link_count(body: str) -> int:
    """Links in a post (absolute URLs and site-relative Markdown links)."""
    return len(_URL_RE.findall(body or ""))


def item_links(body: str) -> list[tuple[str, str]]:
    """(course code, item slug) of every link to a lesson, quiz or assignment, once each."""
    seen: dict[tuple[str, str], None] = {}
    for match in _ITEM_LINK_RE.finditer(body or ""):
        seen.setdefault((match.group(1), match.group(2).rstrip("/")), None)
    return list(seen)[:5]


def _local_images_only(html: str) -> str:
    """Images from elsewhere would tell a remote server who reads the board: an image whose
    source is not on this site becomes its alt text."""

    def swap(match: re.Match[str]) -> str:
        tag = match.group(0)
        src = _SRC_RE.search(tag)
        url = src.group(1) if src else ""
        if url.startswith("/") and not url.startswith("//"):
            return tag
        alt = _ALT_RE.search(tag)
        return f"[image: {alt.group(1)}]" if alt and alt.group(1) else "[image]"

    return _IMG_RE.sub(swap, html)


def render_post(body: str, names: dict[int, str]) -> Markup:
    """A post's HTML: the one renderer (sanitised), headings below the page's, mentions shown,
    no remote images."""
    html = render(with_mentions(body, names), heading_offset=2)
    return Markup(_local_images_only(str(html)))  # noqa: S704 - sanitised by nh3, then only cut


def quote(body: str, author: str) -> str:
    """A reply's opening that quotes a post."""
    lines = (body or "").strip().splitlines()[:20]
    quoted = "\n".join("> " + line for line in lines)
    return f"> **{_escape_md(author)}** wrote:\n>\n{quoted}\n\n"


def shown_author(name: str, *, anonymous: bool, is_self: bool, moderator: bool) -> str:
    """The name a reader sees: peers see "Anonymous"; the author and moderators the name."""
    if not anonymous:
        return name
    if moderator:
        return f"{name} (anonymous to peers)"
    if is_self:
        return f"{name} (shown to others as Anonymous)"
    return "Anonymous"


def may_post_as_new_account(created_at: datetime, recent_posts: int, now: datetime, *,
                            new_days: int, per_hour: int) -> bool:
    """New accounts (younger than ``new_days``) post at most ``per_hour`` times an hour."""
    if now - created_at >= timedelta(days=new_days):
        return True
    return recent_posts < per_hour


@dataclass(frozen=True)
class PageInfo:
    page: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def prev_num(self) -> int:
        return self.page - 1

    @property
    def next_num(self) -> int:
        return self.page + 1

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.per_page


def page_info(page: int | None, per_page: int, total: int) -> PageInfo:
    """A page number clamped into range (a page past the end shows the last)."""
    last = max(1, math.ceil(total / per_page))
    return PageInfo(min(max(1, page or 1), last), per_page, total)
