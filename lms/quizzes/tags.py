"""Grouping a quiz's per-tag scores by what the tags mean (pure: no database, no Flask).

Tags are free text in quiz files (``tags=pillars,racial-equity``). Results read better grouped
by the programme's own vocabulary than as one alphabetical list, so the groups come from the
programme's known names (see /work/shared/PROGRAM.md, "The framework, as publicly described"):
the two Pillars and the five Commitments, in the programme's order. Tags with a ``domain-``
prefix (the exam's blueprint domains) form a "Domains" group, tags with a ``level-`` prefix (the
exam's cognitive levels) a "Cognitive levels" group. Everything else is "Other", always last.
An exam's candidates see the Domains group only (:func:`candidate_groups`, issue 15: "show the
breakdown by domain only"); instructors see every group. A quiz cannot declare its own groups
yet (no front matter setting for it).
"""
from __future__ import annotations

from dataclasses import dataclass

#: The framework's two Pillars, in the programme's order (tags are their slugs).
PILLARS = ("racial-equity", "climate-resilience")
#: The framework's five Commitments, in the programme's order.
COMMITMENTS = ("belonging", "opportunity", "wellbeing", "mobility", "environment")
DOMAIN_PREFIX = "domain-"
LEVEL_PREFIX = "level-"
#: The groups formed by a tag prefix, in order: (group name, prefix).
_PREFIXED = (("Domains", DOMAIN_PREFIX), ("Cognitive levels", LEVEL_PREFIX))

#: (group name, tags it holds in order, or None for a prefix group); "Other" comes last.
_NAMED = (("Pillars", ("pillars",) + PILLARS), ("Commitments", ("commitments",) + COMMITMENTS))


@dataclass(frozen=True)
class TagScore:
    tag: str
    label: str
    stats: dict


@dataclass(frozen=True)
class TagGroup:
    name: str
    tags: list[TagScore]


def label(tag: str) -> str:
    """A tag as people read it: `domain-civic-participation` → "Civic participation"."""
    for _, prefix in _PREFIXED:
        if tag.startswith(prefix) and len(tag) > len(prefix):
            tag = tag.removeprefix(prefix)
            break
    words = tag.replace("-", " ").replace("_", " ").strip()
    return words[:1].upper() + words[1:] if words else tag


def group_tags(per_tag: dict[str, dict]) -> list[TagGroup]:
    """Per-tag scores as groups: Pillars, Commitments (programme order), Domains and Cognitive
    levels (by name), Other (by name). Empty groups are left out; every tag appears once."""
    left = dict(per_tag)
    groups: list[TagGroup] = []
    for name, known in _NAMED:
        found = [TagScore(t, label(t), left.pop(t)) for t in known if t in left]
        if found:
            groups.append(TagGroup(name, found))
    for name, prefix in _PREFIXED:
        prefixed = sorted((t for t in left if t.startswith(prefix)), key=label)
        if prefixed:
            groups.append(TagGroup(name, [TagScore(t, label(t), left.pop(t)) for t in prefixed]))
    if left:
        groups.append(TagGroup("Other", [TagScore(t, label(t), left[t])
                                         for t in sorted(left, key=label)]))
    return groups


def candidate_groups(per_tag: dict[str, dict], *, exam: bool) -> list[TagGroup]:
    """The breakdown a learner sees on their result: an exam whose questions carry domain tags
    shows the Domains group only (its cognitive levels and other tags are for instructors);
    any other quiz shows every group."""
    groups = group_tags(per_tag)
    if exam and any(g.name == "Domains" for g in groups):
        return [g for g in groups if g.name == "Domains"]
    return groups
