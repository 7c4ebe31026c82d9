"""Audit the AP exam bank against the exam content outline (run: python courses/_audit_exam.py).

Files starting with `_` are ignored by the course importer. Reports items per domain and level,
the share of application/analysis items, single-choice option counts, how often the key is the
longest option, negative stems, all/none-of-the-above options, and exam stems repeated (or near
repeated) in any other quiz of the curriculum.
"""
import difflib
import re
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent
EXAM = next((ROOT / "jc-ap-exam").glob("[0-9]*-ap-exam.md"))
HEAD = re.compile(r"^## (.*?)(\s*\{([^}]*)\})?\s*$")


def questions(path: Path):
    lines = path.read_text(encoding="utf-8").splitlines()
    current = None
    for line in lines:
        m = HEAD.match(line)
        if m:
            if current:
                yield current
            attrs = dict(a.split("=", 1) for a in (m.group(3) or "").split() if "=" in a)
            current = {"stem": m.group(1), "tags": attrs.get("tags", "").split(","),
                       "single": [], "multi": 0, "other": 0}
        elif current is not None:
            s = re.match(r"^- \((x| )\) (.*)$", line)
            if s:
                current["single"].append((s.group(1) == "x", s.group(2)))
            elif re.match(r"^- \[(x| )\] ", line):
                current["multi"] += 1
    if current:
        yield current


def norm(text: str) -> str:
    return re.sub(r"[^a-z0-9 ]", "", text.lower())


def main() -> int:
    items = list(questions(EXAM))
    domains = Counter(t for q in items for t in q["tags"] if t.startswith("domain-"))
    levels = Counter(t for q in items for t in q["tags"] if t.startswith("level-"))
    bad_tags = [q["stem"] for q in items
                if sum(t.startswith("domain-") for t in q["tags"]) != 1
                or sum(t.startswith("level-") for t in q["tags"]) != 1
                or len(q["tags"]) != 2]
    singles = [q for q in items if q["single"] and len(q["single"]) != 2]
    not_four = [q["stem"] for q in singles if len(q["single"]) != 4]
    longest = [q["stem"] for q in singles
               if max(len(t) for ok, t in q["single"] if ok)
               >= max(len(t) for ok, t in q["single"] if not ok)]
    negative = [q["stem"] for q in items  # the question asked (the last sentence of the stem)
                if re.search(r"\b(not|never|except|least)\b",
                             re.split(r"(?<=[.!?])\s+", q["stem"].strip())[-1], re.I)]
    aon = [q["stem"] for q in items for _, t in q["single"]
           if re.search(r"\b(all|none) of the above\b", t, re.I)]
    stems = {norm(q["stem"]) for q in items}
    repeats = []
    for quiz in ROOT.rglob("*.md"):
        if quiz == EXAM or "type: quiz" not in quiz.read_text(encoding="utf-8")[:400]:
            continue
        for q in questions(quiz):
            for s in stems:
                if difflib.SequenceMatcher(None, norm(q["stem"]), s).ratio() > 0.8:
                    repeats.append((quiz.relative_to(ROOT), q["stem"]))
    applied = levels["level-application"] + levels["level-analysis"]
    print(f"items: {len(items)}")
    print("per domain:", dict(sorted(domains.items())))
    print("per level:", dict(sorted(levels.items())))
    print(f"application or analysis: {applied}/{len(items)} = {applied / len(items):.0%}")
    print(f"single-choice (non true/false): {len(singles)}; not 4 options: {len(not_four)}")
    print(f"key is the longest option (ties count): {len(longest)}/{len(singles)}"
          f" = {len(longest) / max(1, len(singles)):.0%}")
    for label, found in (("bad tags", bad_tags), ("not 4 options", not_four),
                         ("negative stems", negative), ("all/none of the above", aon),
                         ("repeated in another quiz", repeats)):
        print(f"{label}: {len(found)}")
        for f in found:
            print("   ", f)
    if "-v" in sys.argv:
        print("key longest:", *longest, sep="\n    ")
    ok = (len(items) >= 150 and applied * 2 >= len(items) and not bad_tags and not not_four
          and len(longest) <= 0.3 * len(singles) and not negative and not aon and not repeats)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
