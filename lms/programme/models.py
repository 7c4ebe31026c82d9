"""The programme's rules (``courses/program.yml``) as typed, immutable pydantic v2 models.

The models check the *shape* of each value (types, ranges, allowed words, unknown keys); the
cross-references between sections (a minimum naming an unknown category, a cap on an unknown
activity type) are checked by :mod:`lms.programme.loader`, which also turns every problem into
a ``path:LINE: message`` line. Pure code: no database, no Flask, no clock.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field

__all__ = [
    "ActivityCap", "ActivityType", "CarryOver", "Category", "CourseItemRef", "Credential",
    "Cycle", "DEFAULT_FOCUS_AREAS", "Earn", "FocusArea", "Maintenance", "Programme",
]

_MONTH_DAY_RE = re.compile(r"^\d{2}-\d{2}$")
_PREFIX_RE = re.compile(r"^[A-Za-z0-9]+$")


def _text_list(value: object) -> object:
    """A list of course codes or keys: one string becomes a list; numbers become text."""
    if isinstance(value, str):
        value = [value]
    if isinstance(value, list | tuple):
        out: list[object] = []
        for item in value:
            if isinstance(item, int | float) and not isinstance(item, bool):
                item = str(item)
            out.append(item.strip() if isinstance(item, str) else item)
        return tuple(out)
    return value


def _as_tuple(value: object) -> object:
    return tuple(value) if isinstance(value, list) else value


def _month_day(value: str) -> str:
    if not _MONTH_DAY_RE.match(value):
        raise ValueError("not MM-DD")
    dt.date(2000, int(value[:2]), int(value[3:]))  # raises ValueError for 02-30 and the like
    return value


def _nonblank(value: str) -> str:
    if not value.strip():
        raise ValueError("blank")
    return value.strip()


def _prefix(value: str) -> str:
    if not _PREFIX_RE.match(value):
        raise ValueError("letters and digits only")
    return value.upper()


Text = Annotated[str, AfterValidator(_nonblank)]
TextList = Annotated[tuple[Text, ...], BeforeValidator(_text_list)]
Hours = Annotated[float, Field(ge=0, allow_inf_nan=False)]
PositiveHours = Annotated[float, Field(gt=0, allow_inf_nan=False)]
Months = Annotated[int, Field(ge=0)]


class _Model(BaseModel):
    # strict: YAML `true` is not 1 and "30" is not 30; forbid: a misspelt key is reported.
    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)


class Credential(_Model):
    name: Text
    abbreviation: Text
    id_prefix: Annotated[Text, AfterValidator(_prefix)]


class CourseItemRef(_Model):
    """An item of a course: ``{course: JC-AP, item: ap-exam}``."""

    course: Text
    item: Text


class Earn(_Model):
    """What earns the credential: courses to complete, an exam quiz, a case-study assignment."""

    courses: TextList = ()
    exam: CourseItemRef | None = None
    case_study: CourseItemRef | None = None


class Category(_Model):
    name: Text


class FocusArea(_Model):
    """A part of the framework a practitioner works on: a Pillar or a Commitment."""

    name: Text
    kind: Literal["pillar", "commitment"]


#: The Just Communities framework's two Pillars and five Commitments (docs: PROGRAM.md); used
#: when program.yml has no `focus_areas` section.
DEFAULT_FOCUS_AREAS: dict[str, FocusArea] = {
    "racial-equity": FocusArea(name="Racial Equity", kind="pillar"),
    "climate-resilience": FocusArea(name="Climate Resilience", kind="pillar"),
    "belonging": FocusArea(name="Belonging", kind="commitment"),
    "opportunity": FocusArea(name="Opportunity", kind="commitment"),
    "wellbeing": FocusArea(name="Wellbeing", kind="commitment"),
    "mobility": FocusArea(name="Mobility", kind="commitment"),
    "environment": FocusArea(name="Environment", kind="commitment"),
}


class ActivityType(_Model):
    name: Text
    self_reported: bool = False


class Cycle(_Model):
    """The renewal cycle: its length and what it is counted from.

    ``anchor: earned`` counts each holder's cycles from the date the credential was earned;
    ``anchor: calendar`` puts every holder on shared cycles that start on ``calendar_start``
    (``MM-DD``, default ``01-01``) and are counted from that month-day in the year 2000.
    """

    length_months: Annotated[int, Field(gt=0)]
    anchor: Literal["earned", "calendar"] = "earned"
    calendar_start: Annotated[str, AfterValidator(_month_day)] | None = None

    @property
    def start_month_day(self) -> tuple[int, int]:
        """(month, day) on which shared calendar cycles start."""
        text = self.calendar_start or "01-01"
        return int(text[:2]), int(text[3:])


class ActivityCap(_Model):
    """At most ``hours`` of one activity type count, per cycle year or per cycle."""

    hours: Hours
    per: Literal["year", "cycle"] = "cycle"


class CarryOver(_Model):
    """Hours above the requirement, earned in the cycle's final months, that count next time."""

    max_hours: Hours = 0
    from_final_months: Months = 0


class Maintenance(_Model):
    """What keeps the credential: hours per cycle, category floors and ceilings, caps."""

    cycle: Cycle
    hours_per_cycle: PositiveHours
    category_minimums: Mapping[str, Hours] = Field(default_factory=dict)
    category_maximums: Mapping[str, Hours] = Field(default_factory=dict)
    activity_caps: Mapping[str, ActivityCap] = Field(default_factory=dict)
    self_report_cap: Hours | None = None
    carry_over: CarryOver = CarryOver()
    grace_months: Months = 0
    reinstatement_months: Months = 0
    reminder_days: Annotated[tuple[Annotated[int, Field(gt=0)], ...],
                             BeforeValidator(_as_tuple)] = ()
    audit_rate: Annotated[float, Field(ge=0, le=1, allow_inf_nan=False)] = 0.0
    required_categories_each_cycle: TextList = ()
    required_courses_each_cycle: TextList = ()


class Programme(_Model):
    """The whole of program.yml."""

    credential: Credential
    earn: Earn = Earn()
    categories: Annotated[Mapping[str, Category], Field(min_length=1)]
    activity_types: Mapping[str, ActivityType] = Field(default_factory=dict)
    maintenance: Maintenance
    #: What members may list as their focus in the practitioner directory.
    focus_areas: Mapping[str, FocusArea] = Field(
        default_factory=lambda: dict(DEFAULT_FOCUS_AREAS))

    def category_name(self, key: str) -> str:
        """The category's display name (the key itself when unknown)."""
        category = self.categories.get(key)
        return category.name if category is not None else key

    def is_self_reported(self, activity_type: str) -> bool:
        kind = self.activity_types.get(activity_type)
        return kind is not None and kind.self_reported
