"""program.yml as typed rules: loading, path:LINE: messages, the cached accessor."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from lms.programme import (
    InvalidProgramme,
    Programme,
    check_programme,
    clear_programme_cache,
    load_programme,
    programme_for,
    read_programme_yaml,
)
from tests.builders import LINTER_PROGRAM_YML

REPO = Path(__file__).resolve().parents[2]

# The same file as tests/courses/test_course_parser.py uses, so that the line numbers and
# messages below are the ones the course linter's tests expect.
PROGRAM = LINTER_PROGRAM_YML


@pytest.fixture(autouse=True)
def _cwd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    clear_programme_cache()


def write(text: str, name: str = "courses/program.yml") -> Path:
    path = Path(name)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def problems(text: str) -> list[str]:
    programme, found = load_programme(write(text))
    assert (programme is None) == bool(found)
    return [str(p) for p in found]


def test_valid_programme_is_typed():
    programme, found = load_programme(write(PROGRAM))
    assert found == []
    assert isinstance(programme, Programme)
    assert programme.credential.id_prefix == "TCX"
    assert programme.earn.courses == ("C-1",)
    assert programme.earn.exam is None
    assert programme.category_name("equity") == "Equity"
    assert programme.category_name("nowhere") == "nowhere"
    assert programme.is_self_reported("volunteering") and not programme.is_self_reported("course")
    m = programme.maintenance
    assert (m.cycle.length_months, m.cycle.anchor, m.hours_per_cycle) == (24, "earned", 30)
    assert dict(m.category_minimums) == {"equity": 2}
    assert m.activity_caps["volunteering"].hours == 8
    assert m.activity_caps["volunteering"].per == "year"
    # defaults for everything the file leaves out
    assert m.self_report_cap is None and m.grace_months == 0 and m.reinstatement_months == 0
    assert m.carry_over.max_hours == 0 and m.reminder_days == () and m.audit_rate == 0
    assert m.cycle.start_month_day == (1, 1)


def test_folder_is_accepted():
    write(PROGRAM)
    programme, found = load_programme("courses")
    assert found == [] and programme is not None


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        # the course linter's expectations (tests/courses/test_course_parser.py), verbatim
        ("anchor: earned", "anchor: birthday",
         "courses/program.yml:16: maintenance.cycle.anchor must be earned or calendar "
         "(got 'birthday')"),
        ("length_months: 24", "length_months: 0",
         "courses/program.yml:15: maintenance.cycle.length_months must be a whole number > 0 "
         "(got 0)"),
        ("length_months: 24", "length_months: 1.5",
         "courses/program.yml:15: maintenance.cycle.length_months must be a whole number > 0 "
         "(got 1.5)"),
        ("hours_per_cycle: 30", "hours_per_cycle: lots",
         "courses/program.yml:17: maintenance.hours_per_cycle must be a number > 0 "
         "(got 'lots')"),
        ("    equity: 2", "    housing: 2",
         "courses/program.yml:19: unknown category 'housing' in category_minimums"),
        ("    volunteering: {hours: 8, per: year}", "    gardening: {hours: 8, per: year}",
         "courses/program.yml:21: unknown activity type 'gardening' in activity_caps"),
        ("per: year}", "per: decade}",
         "courses/program.yml:21: activity cap 'volunteering': per must be year or cycle "
         "(got 'decade')"),
        ("required_categories_each_cycle: [equity]", "required_categories_each_cycle: [x]",
         "courses/program.yml:22: unknown category 'x' in required_categories_each_cycle"),
        ("  id_prefix: TCX\n", "", "courses/program.yml:1: credential.id_prefix is required "
                                   "(text)"),
        ("  equity: {name: Equity}", "  equity: {title: Equity}",
         "courses/program.yml:8: category 'equity' needs a name: {name: ...}"),
        # the rest of the checks of the old hand-written validator
        ("    equity: 2", "    equity: -2",
         "courses/program.yml:19: maintenance.category_minimums.equity must be a number >= 0 "
         "(got -2)"),
        ("{hours: 8, per: year}", "{hours: -1, per: year}",
         "courses/program.yml:21: maintenance.activity_caps.volunteering.hours must be a number "
         ">= 0 (got -1)"),
        ("{hours: 8, per: year}", "[8]",
         "courses/program.yml:21: activity cap 'volunteering' must be {hours: N, per: "
         "year|cycle}"),
        ("  id_prefix: TCX", "  id_prefix: TC-X",
         "courses/program.yml:4: credential.id_prefix must be letters and digits only"),
        ("  name: Test Credential", "  name: '  '",
         "courses/program.yml:2: credential.name is required (text)"),
        ("self_reported: true", "self_reported: sometimes",
         "courses/program.yml:12: activity_types.volunteering.self_reported must be true or "
         "false"),
        ("  course: {name: Course, self_reported: false}", "  course: {self_reported: false}",
         "courses/program.yml:11: activity type 'course' needs a name: {name: ...}"),
        ("  courses: [C-1]", "  courses: {C-1: yes}",
         "courses/program.yml:6: earn.courses must be a list of course codes"),
        ("  courses: [C-1]", "  courses: [C-1]\n  exam: JC-AP",
         "courses/program.yml:7: earn.exam must be a map with course (a course code) and item "
         "(an item slug)"),
        ("    anchor: earned", "    anchor: calendar\n    calendar_start: 02-30",
         "courses/program.yml:17: maintenance.cycle.calendar_start must be MM-DD, e.g. 01-01"),
        ("  cycle:\n    length_months: 24\n    anchor: earned\n", "  cycle: 24\n",
         "courses/program.yml:14: maintenance.cycle must be a map with length_months and "
         "anchor"),
        ("  hours_per_cycle: 30\n", "",
         "courses/program.yml:13: maintenance.hours_per_cycle is required"),
        ("  hours_per_cycle: 30", "  hours_per_cycle: .inf",
         "courses/program.yml:17: maintenance.hours_per_cycle must be a number > 0 "
         "(got inf)"),
        ("  hours_per_cycle: 30", "  hours_per_cycle: true",
         "courses/program.yml:17: maintenance.hours_per_cycle must be a number > 0 "
         "(got True)"),
        ("  hours_per_cycle: 30", "  hours_per_cycle: 30\n  self_report_cap: -8",
         "courses/program.yml:18: maintenance.self_report_cap must be a number >= 0 or null "
         "(got -8)"),
        ("  hours_per_cycle: 30", "  hours_per_cycle: 30\n  grace_months: 1.5",
         "courses/program.yml:18: maintenance.grace_months must be a whole number >= 0 "
         "(got 1.5)"),
        ("  hours_per_cycle: 30", "  hours_per_cycle: 30\n  reinstatement_months: -1",
         "courses/program.yml:18: maintenance.reinstatement_months must be a whole number >= 0 "
         "(got -1)"),
        ("  hours_per_cycle: 30", "  hours_per_cycle: 30\n  reminder_days: [90, 0]",
         "courses/program.yml:18: maintenance.reminder_days must be a list of whole numbers of "
         "days > 0"),
        ("  hours_per_cycle: 30", "  hours_per_cycle: 30\n  audit_rate: 5",
         "courses/program.yml:18: maintenance.audit_rate must be a number from 0 to 1 "
         "(got 5)"),
        ("  hours_per_cycle: 30", "  hours_per_cycle: 30\n  carry_over: 20",
         "courses/program.yml:18: maintenance.carry_over must be {max_hours, "
         "from_final_months}"),
        ("  hours_per_cycle: 30",
         "  hours_per_cycle: 30\n  carry_over:\n    max_hours: -20",
         "courses/program.yml:19: maintenance.carry_over.max_hours must be a number >= 0 "
         "(got -20)"),
        ("  hours_per_cycle: 30", "  hours_per_cycle: 30\n  required_courses_each_cycle: 7: 8",
         "YAML syntax error"),
        ("required_categories_each_cycle: [equity]", "required_categories_each_cycle: {a: 1}",
         "courses/program.yml:22: maintenance.required_categories_each_cycle must be a list of "
         "category keys"),
        ("categories:\n  equity: {name: Equity}\n  climate: {name: Climate}\n", "categories: {}\n",
         "courses/program.yml:7: categories must name at least one CE category"),
        ("  equity: {name: Equity}", "  Equity: {name: Equity}",
         "courses/program.yml:8: category key 'Equity' must be lowercase letters, digits and "
         "hyphens"),
    ],
)
def test_problems_have_lines_and_the_linter_wording(old: str, new: str, expected: str):
    assert old in PROGRAM
    found = problems(PROGRAM.replace(old, new))
    if expected == "YAML syntax error":
        assert any(expected in p for p in found), found
        return
    assert expected in found, found


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("    anchor: earned", "    anchor: earned\n    start: 01-01",
         "courses/program.yml:17: unknown key 'start' in maintenance.cycle (known keys: "
         "length_months, anchor, calendar_start)"),
        ("  hours_per_cycle: 30", "  hours_per_cycle: 30\n  hours_per_year: 15",
         "courses/program.yml:18: unknown key 'hours_per_year' in maintenance (known keys: "
         "cycle, hours_per_cycle, category_minimums, category_maximums, activity_caps, "
         "self_report_cap, carry_over, grace_months, reinstatement_months, reminder_days, "
         "audit_rate, required_categories_each_cycle, required_courses_each_cycle)"),
        ("earn:", "renewal: {}\nearn:",
         "courses/program.yml:5: unknown key 'renewal' in program.yml (known keys: credential, "
         "earn, categories, activity_types, maintenance, focus_areas)"),
        ("{hours: 8, per: year}", "{hours: 8, per: year, every: 2}",
         "courses/program.yml:21: unknown key 'every' in maintenance.activity_caps.volunteering "
         "(known keys: hours, per)"),
        # a flow map with an unquoted comma splits the name into keys: caught, not truncated
        ("{name: Volunteering, self_reported: true}",
         "{name: Volunteering, mentoring, self_reported: true}",
         "courses/program.yml:12: unknown key 'mentoring' in activity_types.volunteering "
         "(known keys: name, self_reported)"),
    ],
)
def test_unknown_keys_list_the_known_ones(old: str, new: str, expected: str):
    assert expected in problems(PROGRAM.replace(old, new))


def test_maximums_and_their_cross_checks():
    text = PROGRAM.replace("  activity_caps:", "  category_maximums:\n    equity: 1\n"
                                               "    housing: 3\n  activity_caps:")
    found = problems(text)
    assert "courses/program.yml:19: category_minimums.equity (2) is more than " \
           "category_maximums.equity (1)" in found
    assert "courses/program.yml:22: unknown category 'housing' in category_maximums" in found
    good = PROGRAM.replace("  activity_caps:", "  category_maximums: {climate: 25}\n"
                                               "  activity_caps:")
    programme, found2 = load_programme(write(good))
    assert found2 == [] and programme is not None
    assert programme.maintenance.category_maximums == {"climate": 25}


def test_every_problem_is_reported_at_once():
    text = (PROGRAM.replace("anchor: earned", "anchor: birthday")
            .replace("    equity: 2", "    housing: -2")
            .replace("per: year}", "per: decade}"))
    found = problems(text)
    assert len(found) == 4, found
    assert any(":19: unknown category 'housing'" in p for p in found)
    assert any(":19: maintenance.category_minimums.housing must be a number >= 0" in p
               for p in found)


def test_calendar_rules_and_cross_checks():
    text = PROGRAM.replace("    anchor: earned", "    anchor: calendar\n    calendar_start: 07-01")
    programme, found = load_programme(write(text))
    assert found == [] and programme is not None
    assert programme.maintenance.cycle.start_month_day == (7, 1)
    text = PROGRAM.replace("    anchor: earned", "    anchor: earned\n    calendar_start: 07-01")
    assert "courses/program.yml:17: maintenance.cycle.calendar_start applies only with " \
           "anchor: calendar" in problems(text)
    text = PROGRAM.replace("  hours_per_cycle: 30", "  hours_per_cycle: 30\n  carry_over: "
                                                    "{max_hours: 5, from_final_months: 36}")
    assert "courses/program.yml:18: maintenance.carry_over.from_final_months (36) is longer " \
           "than the cycle (24 months)" in problems(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", "courses/program.yml:1: program.yml is empty"),
        ("- just\n- a list\n", "courses/program.yml:1: program.yml must be a map (credential, "
                               "earn, categories, activity_types, maintenance)"),
        ("credential: {name: A, abbreviation: A, id_prefix: A}\n",
         "courses/program.yml:1: program.yml: missing section 'maintenance'"),
        ("a: &x 1\nb: *x\n", "courses/program.yml:2: YAML anchors and aliases (&name, *name) "
                             "are not supported here"),
        (PROGRAM + "categories: {}\n", "courses/program.yml:23: duplicate key 'categories'"),
        ("credential: [\n", "YAML syntax error"),
    ],
)
def test_bad_files(text: str, expected: str):
    found = problems(text)
    assert any(expected in p for p in found), found


def test_unreadable_and_not_utf8(tmp_path: Path):
    programme, found = load_programme(tmp_path / "nowhere" / "program.yml")
    assert programme is None and "cannot read file" in str(found[0])
    path = write("credential: x\n\xff", name="bin/program.yml")
    path.write_bytes(b"credential: x\n\xff\xfe\n")
    programme, found = load_programme(path)
    assert programme is None and [str(p) for p in found] == [
        "bin/program.yml:2: file is not valid UTF-8 text"]


def test_dates_in_yaml_are_text_not_crashes():
    text = PROGRAM.replace("    anchor: earned", "    anchor: calendar\n    calendar_start: "
                                                 "2026-01-01")
    assert "courses/program.yml:17: maintenance.cycle.calendar_start must be MM-DD, e.g. " \
           "01-01" in problems(text)


def test_check_programme_reuses_loaded_data():
    data, lines, issues = read_programme_yaml(PROGRAM)
    assert issues == [] and lines[("maintenance", "hours_per_cycle")] == 17
    assert lines[("earn", "courses", "0")] == 6
    programme, found = check_programme(data, lines)
    assert found == [] and programme is not None
    data["maintenance"]["hours_per_cycle"] = 0
    programme, found = check_programme(data, lines)
    assert programme is None
    assert found == [(17, "maintenance.hours_per_cycle must be a number > 0 (got 0)")]


def test_real_program_yml_is_valid():
    programme, found = load_programme(REPO / "courses" / "program.yml")
    assert found == [] and programme is not None
    assert programme.credential.id_prefix == "JCAP"
    assert programme.maintenance.hours_per_cycle == 30
    assert programme.activity_types["convening"].name == \
        "PSE convening (academy, circle, webinar, conference)"
    assert set(programme.maintenance.category_minimums) <= set(programme.categories)


def test_programme_for_caches_until_the_file_changes():
    path = write(PROGRAM)
    first = programme_for(path)
    assert programme_for("courses") is first  # the folder and the file are the same entry
    # same size and content, new mtime: re-hashed, not re-parsed
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    assert programme_for(path) is first
    write(PROGRAM.replace("hours_per_cycle: 30", "hours_per_cycle: 32"))
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 2_000_000_000))
    second = programme_for(path)
    assert second is not first and second.maintenance.hours_per_cycle == 32


def test_programme_for_follows_a_link_a_deploy_swaps(tmp_path):
    """Where program.yml is, is worked out once per process; a `current -> releases/N` link
    swapped by a deploy is still followed, even to a file of the same size and time, and a
    release deleted after the swap is not held on to."""
    old, new = tmp_path / "releases" / "1", tmp_path / "releases" / "2"
    for release, hours in ((old, 30), (new, 31)):
        release.mkdir(parents=True)
        (release / "program.yml").write_text(
            PROGRAM.replace("hours_per_cycle: 30", f"hours_per_cycle: {hours}"), encoding="utf-8")
        os.utime(release / "program.yml", ns=(0, 10**18))  # the same time for both
    current = tmp_path / "current"
    current.symlink_to(old)
    assert programme_for(current).maintenance.hours_per_cycle == 30
    swap = tmp_path / "current.new"
    swap.symlink_to(new)
    swap.replace(current)
    assert programme_for(current).maintenance.hours_per_cycle == 31
    shutil.rmtree(old)
    assert programme_for(current).maintenance.hours_per_cycle == 31
    shutil.rmtree(new)
    with pytest.raises(InvalidProgramme, match="cannot read file"):
        programme_for(current)


def test_programme_for_raises_with_the_problems():
    path = write(PROGRAM.replace("anchor: earned", "anchor: birthday"))
    with pytest.raises(InvalidProgramme) as caught:
        programme_for(path)
    assert [p.line for p in caught.value.problems] == [16]
    assert "anchor must be earned or calendar" in str(caught.value)
    with pytest.raises(InvalidProgramme, match="cannot read file"):
        programme_for(Path("missing.yml"))


def test_models_are_immutable():
    programme, _ = load_programme(write(PROGRAM))
    assert programme is not None
    with pytest.raises(ValueError, match="frozen"):
        programme.maintenance.hours_per_cycle = 1  # type: ignore[misc]


def test_paths_outside_the_working_directory_are_shown_whole(tmp_path: Path):
    outside = tmp_path.parent / f"{tmp_path.name}-elsewhere" / "program.yml"
    outside.parent.mkdir()
    outside.write_text("", encoding="utf-8")
    _, found = load_programme(outside)
    assert str(found[0]) == f"{outside}:1: program.yml is empty"
    _, found = load_programme(write("", name="inside/program.yml").resolve())
    assert str(found[0]) == "inside/program.yml:1: program.yml is empty"
