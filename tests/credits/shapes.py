"""The peer programmes' published rules (../shared/PROGRAM.md's table) as program.yml files.

Each is the shape our program.yml must express; the rules engine's tests run against them.
Where the table is silent (PMP's grace, AICP's activity types) the values are illustrative and
say so.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

from lms.credits.rules import Entry
from lms.programme import Programme, check_programme, load_programme, read_programme_yaml

REPO = Path(__file__).resolve().parents[2]

_COMMON = """\
credential: {name: %(name)s, abbreviation: %(abbr)s, id_prefix: %(abbr)s}
earn: {courses: [C-1]}
"""

LEED = _COMMON % {"name": "LEED AP", "abbr": "LEEDAP"} + """\
categories:
  general: {name: General}
  specialty: {name: Specialty}
activity_types:
  course: {name: Course, self_reported: false}
  volunteering: {name: Volunteering, self_reported: true}
  authorship: {name: Authorship, self_reported: true}
maintenance:
  cycle: {length_months: 24, anchor: earned}      # 30 h / 2 yr from the exam date
  hours_per_cycle: 30
  category_minimums: {specialty: 6}               # >= 6 specialty hours
  grace_months: 12                                # inactive, 12-month grace
  reinstatement_months: 0                         # then expired: retest
  reminder_days: [90, 60, 30, 7]
  audit_rate: 0.05
"""

AICP = _COMMON % {"name": "American Institute of Certified Planners", "abbr": "AICP"} + """\
categories:
  general: {name: General}
  law: {name: Planning Law}
  ethics: {name: Ethics}
  equity: {name: Equity}
  sustainability: {name: Sustainability and Resilience}
activity_types:
  course: {name: Registered provider course, self_reported: false}
  self-reported: {name: Self-reported activity, self_reported: true}
maintenance:
  cycle: {length_months: 24, anchor: calendar, calendar_start: 01-01}   # shared 2-year cycle
  hours_per_cycle: 32
  category_minimums: {law: 1, ethics: 1, equity: 1, sustainability: 1}
  self_report_cap: 8
  grace_months: 4
  reinstatement_months: 48                        # reinstate within 4 years
  reminder_days: [90, 30]
"""

PMP = _COMMON % {"name": "Project Management Professional", "abbr": "PMP"} + """\
categories:
  education: {name: Education}
  giving-back: {name: Giving Back}
activity_types:
  course: {name: Course, self_reported: false}
  work: {name: Working as a professional, self_reported: true}
  volunteering: {name: Volunteering, self_reported: true}
maintenance:
  cycle: {length_months: 36, anchor: earned}      # 60 / 3 yr
  hours_per_cycle: 60
  category_minimums: {education: 35}              # education >= 35
  category_maximums: {giving-back: 25}            # giving back <= 25
  carry_over: {max_hours: 20, from_final_months: 12}   # <= 20 from the final year
  grace_months: 3                                 # illustrative (suspension period)
  reinstatement_months: 12                        # illustrative
  reminder_days: [90, 60, 30]
"""


def programme(text: str) -> Programme:
    data, lines, issues = read_programme_yaml(text)
    assert issues == []
    result, problems = check_programme(data, lines)
    assert problems == [] and result is not None, problems
    return result


def our_programme() -> Programme:
    result, problems = load_programme(REPO / "courses" / "program.yml")
    assert problems == [] and result is not None, problems
    return result


_serial = iter(range(1, 10**9))


def entry(on: dt.date | str, hours: float | str, category: str, kind: str = "course",
          status: str = "approved", course: str | None = None, key: str | None = None) -> Entry:
    day = dt.date.fromisoformat(on) if isinstance(on, str) else on
    return Entry(key or f"e{next(_serial):06d}", day, Decimal(str(hours)), category, kind,
                 status, course)


def d(text: str) -> dt.date:
    return dt.date.fromisoformat(text)
