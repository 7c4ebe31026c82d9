"""`flask --app wsgi courses check|import|export`"""
from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from sqlalchemy import select

from lms import clock
from lms.courses import parser, services
from lms.courses.models import Course
from lms.extensions import db


@click.group("courses", help="Check, import and export Markdown courses.")
def courses_cli():
    pass


def _root_and_only(path: str | None) -> tuple[Path, list[Path] | None]:
    root = Path(current_app.config["COURSES_DIR"])
    if path is None:
        return root, None
    target = Path(path)
    if (target / "program.yml").exists():
        return target, None
    if (target / "course.md").exists():
        return target.parent, [target]
    raise click.ClickException(f"{path}: neither a courses folder (with program.yml) nor a course "
                               "folder (with course.md)")


@courses_cli.command("check")
@click.argument("path", required=False)
def check(path: str | None):
    """Lint courses: print every problem as path:LINE: message and every warning as
    path:LINE: warning: message; exit 1 if there is any problem (warnings alone pass)."""
    root, only = _root_and_only(path)
    result = parser.parse_tree(root, only=only,
                               known_course_codes=services.imported_course_codes())
    for warning in result.warnings:
        click.echo(warning.as_warning())
    for problem in result.problems:
        click.echo(str(problem))
    if result.warnings:
        click.echo(f"{len(result.warnings)} warning(s).", err=True)
    if result.problems:
        click.echo(f"{len(result.problems)} problem(s).", err=True)
        raise SystemExit(1)
    click.echo("No problems found.")


@courses_cli.command("import")
@click.argument("path", required=False)
def import_(path: str | None):
    """Import courses (all, or one course folder); nothing changes if any file has a problem."""
    root, only = _root_and_only(path)
    try:
        report = services.import_courses(root, clock.now(), only=only)
    except services.ImportFailed as err:
        for problem in err.problems:
            click.echo(str(problem))
        click.echo(str(err), err=True)
        raise SystemExit(1) from err
    for code in report.created:
        click.echo(f"created   {code}")
    for code in report.updated:
        click.echo(f"updated   {code}")
    for code in report.unchanged:
        click.echo(f"unchanged {code}")
    for note in report.notes:
        click.echo(f"note: {note}")


@courses_cli.command("export")
@click.argument("code")
@click.argument("dest", type=click.Path(file_okay=False))
def export(code: str, dest: str):
    """Write course CODE back to Markdown files under DEST."""
    course = db.session.scalar(select(Course).where(Course.code == code))
    if course is None:
        raise click.ClickException(f"No course with code {code}.")
    folder = services.export_course(course, Path(dest))
    click.echo(f"Exported {code} to {folder}")
