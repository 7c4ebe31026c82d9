"""Course rules: import and export, catalogue, visibility, enrolment, progress, authoring.

Services own the unit of work: a public function that changes state commits once (or not at
all on error). Functions documented as "inside the caller's transaction" never commit.
"""
from __future__ import annotations

import difflib
import hashlib
import io
import mimetypes
import tempfile
import zipfile
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from pathlib import Path

from sqlalchemy import bindparam, func, or_, select, true
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import contains_eager, joinedload, load_only, selectinload

from lms.auth.models import User
from lms.authoring.frontmatter import plain
from lms.cache import remembered
from lms.courses import parser
from lms.courses.models import (
    LEARNERS,
    Course,
    CourseAsset,
    CourseInstructor,
    CourseRevision,
    Enrolment,
    Item,
    ItemDraft,
    ItemProgress,
    ItemRevision,
    Module,
)
from lms.courses.signals import course_completed, item_done, item_synced
from lms.errors import Conflict, DomainError, NotFound, PermissionDenied, ValidationError
from lms.extensions import db


def content_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# ====================================================================== import


class ImportFailed(DomainError):
    """The courses have problems; nothing was imported."""

    def __init__(self, problems: list):
        self.problems = problems
        super().__init__(f"{len(problems)} problem(s) found; nothing was imported.")


@dataclass
class ImportReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def imported_course_codes() -> set[str]:
    """Codes of the courses in the database, which a course folder may name as prerequisites.

    Empty when the database has not been migrated yet, so `courses check` lints a fresh
    clone's tree on its own.
    """
    try:
        return set(db.session.scalars(select(Course.code)))
    except SQLAlchemyError:
        db.session.rollback()
        return set()


def import_courses(root: Path, now: datetime, *, only: list[Path] | None = None,
                   actor: User | None = None) -> ImportReport:
    """Check then import the course folders under `root` in one transaction.

    Idempotent: unchanged files change nothing. Items are matched by course code + slug, so
    enrolments and progress survive edits; items whose file was removed are deactivated, not
    deleted. A file unchanged since its last import keeps any newer browser edit.
    """
    known = set(db.session.scalars(select(Course.code)))
    result = parser.parse_tree(Path(root), only=only, known_course_codes=known)
    if result.problems:
        raise ImportFailed(result.problems)
    report = ImportReport()
    try:
        for parsed in result.courses:
            _import_course(parsed, now, actor, report)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return report


def _import_course(parsed, now: datetime, actor: User | None, report: ImportReport) -> None:
    course = db.session.scalar(select(Course).where(Course.code == parsed.code))
    changes: list[str] = []
    if course is None:
        course = Course(code=parsed.code, created_at=now, revision=0, dirname=parsed.dirname,
                        source="")
        db.session.add(course)
        changes.append("created")
    if course.source != parsed.source:
        changes.append("course.md")
    _apply_course_fields(course, parsed, now)
    db.session.flush()

    modules = _sync_modules(course, parsed, changes)
    _sync_items(course, parsed, modules, now, actor, changes, report)
    _sync_assets(course, parsed, changes)

    active_items = [i for i in course.items if i.active and not i.instructors_only]
    course.item_count = len(active_items)
    course.estimated_minutes = sum(i.estimated_minutes for i in active_items)
    if changes:
        course.revision += 1
        course.updated_at = now
        db.session.add(CourseRevision(course_id=course.id, number=course.revision, created_at=now,
                                      author_id=actor.id if actor else None, source="import",
                                      summary=", ".join(changes)[:2000]))
        (report.created if "created" in changes else report.updated).append(course.code)
    else:
        report.unchanged.append(course.code)


def _apply_course_fields(course: Course, parsed, now: datetime) -> None:
    course.title = parsed.title
    course.summary = parsed.summary or ""
    course.overview = parsed.overview or ""
    course.source = parsed.source
    course.dirname = parsed.dirname
    course.ce_hours = Decimal(str(parsed.ce_hours)) if parsed.ce_hours is not None else None
    course.ce_category = parsed.ce_category
    course.level = parsed.level
    course.prerequisites = list(parsed.prerequisites)
    course.published = bool(parsed.published)
    course.updated_at = course.updated_at or now
    wanted = {e.lower() for e in parsed.instructors}
    for link in list(course.instructors):
        if link.email not in wanted:
            course.instructors.remove(link)
    have = {link.email for link in course.instructors}
    for email in sorted(wanted - have):
        course.instructors.append(CourseInstructor(email=email))


def _sync_modules(course: Course, parsed, changes: list[str]) -> dict[str, Module]:
    existing = {m.slug: m for m in course.modules}
    seen: dict[str, Module] = {}
    for pm in parsed.modules:
        module = existing.get(pm.slug)
        if module is None:
            module = Module(slug=pm.slug)
            course.modules.append(module)
            changes.append(f"module {pm.slug} added")
        elif (module.title, module.position, module.source, module.active) != (
                pm.title, pm.position, pm.source, True):
            changes.append(f"module {pm.slug} changed")
        module.title, module.summary = pm.title, pm.summary or ""
        module.position, module.dirname, module.source = pm.position, pm.dirname, pm.source
        module.active = True
        seen[pm.slug] = module
    for slug, module in existing.items():
        if slug not in seen and module.active:
            module.active = False
            changes.append(f"module {slug} removed")
    db.session.flush()
    return seen


def _sync_items(course: Course, parsed, modules: dict[str, Module], now: datetime,
                actor: User | None, changes: list[str], report: ImportReport) -> None:
    existing = {i.slug: i for i in course.items}
    seen: set[str] = set()
    for pi in parsed.items:
        seen.add(pi.slug)
        file_hash = content_hash(pi.source)
        module = modules.get(pi.module_slug) if pi.module_slug else None
        item = existing.get(pi.slug)
        if item is None:
            item = Item(slug=pi.slug, revision=0, course=course, position=pi.position,
                        source_path=pi.source_path, module=module)
            _apply_item_content(item, pi, file_hash, now, actor, "import")
            changes.append(f"{pi.slug} added")
        else:
            if file_hash not in (item.imported_hash, item.content_hash):
                if item.content_hash != item.imported_hash:
                    report.notes.append(
                        f"{course.code}/{pi.slug}: the file changed and so did the browser copy; "
                        f"the file wins (the browser revision {item.revision} stays in history)")
                _apply_item_content(item, pi, file_hash, now, actor, "import")
                changes.append(f"{pi.slug} changed")
            item.imported_hash = file_hash
            if (item.position, item.source_path, item.active) != (pi.position, pi.source_path,
                                                                   True):
                changes.append(f"{pi.slug} moved")
        item.position, item.source_path, item.active = pi.position, pi.source_path, True
        item.module = module
    for slug, item in existing.items():
        if slug not in seen and item.active:
            item.active = False
            changes.append(f"{slug} removed")
    db.session.flush()


def _apply_item_content(item: Item, pi, file_hash: str | None, now: datetime,
                        actor: User | None, origin: str, note: str = "") -> None:
    """Set an item's content from a parsed file and record a revision (caller's transaction)."""
    item.kind, item.title = pi.kind, pi.title
    item.source, item.body, item.meta = pi.source, pi.body, plain(pi.meta)
    item.estimated_minutes = int(pi.estimated_minutes or 1)
    item.audience = str(pi.meta.get("audience") or LEARNERS) if pi.kind == "lesson" else LEARNERS
    item.content_hash = content_hash(pi.source)
    if file_hash is not None:
        item.imported_hash = file_hash
    item.revision = (item.revision or 0) + 1
    item.updated_at = now
    if item.id is None:
        db.session.add(item)
        db.session.flush()
    db.session.add(ItemRevision(item_id=item.id, number=item.revision, source=pi.source,
                                content_hash=item.content_hash, created_at=now,
                                author_id=actor.id if actor else None, origin=origin,
                                note=note))
    item_synced.send(item, parsed=pi, now=now)


def _sync_assets(course: Course, parsed, changes: list[str]) -> None:
    existing = {a.path: a for a in db.session.scalars(
        select(CourseAsset).where(CourseAsset.course_id == course.id))}
    wanted = set()
    for rel in parsed.assets:
        wanted.add(rel)
        data = (Path(parsed.path) / "assets" / rel).read_bytes()
        digest = hashlib.sha256(data).hexdigest()
        asset = existing.get(rel)
        if asset is None:
            asset = CourseAsset(course_id=course.id, path=rel)
            db.session.add(asset)
            changes.append(f"asset {rel} added")
        elif asset.content_hash == digest:
            continue
        else:
            changes.append(f"asset {rel} changed")
        asset.content, asset.content_hash = data, digest
        asset.mimetype = mimetypes.guess_type(rel)[0] or "application/octet-stream"
    for rel, asset in existing.items():
        if rel not in wanted:
            db.session.delete(asset)
            changes.append(f"asset {rel} removed")


# ====================================================================== export


def export_zip(course: Course) -> bytes:
    """The course as a zip of its Markdown folder (what `courses import` reads back)."""
    buffer = io.BytesIO()
    with tempfile.TemporaryDirectory() as tmp:
        folder = export_course(course, Path(tmp))
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
            for path in sorted(folder.rglob("*")):
                if path.is_file():
                    zf.write(path, path.relative_to(Path(tmp)))
    return buffer.getvalue()


def export_course(course: Course, dest: Path) -> Path:
    """Write the course back to a folder of Markdown files (importing it changes nothing)."""
    folder = Path(dest) / course.dirname
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "course.md").write_text(course.source, encoding="utf-8")
    for module in course.modules:
        if module.active and module.source:
            (folder / module.dirname).mkdir(parents=True, exist_ok=True)
            (folder / module.dirname / "module.md").write_text(module.source, encoding="utf-8")
    for item in course.items:
        if item.active:
            path = folder / item.source_path
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(item.source, encoding="utf-8")
    for asset in db.session.scalars(select(CourseAsset).where(CourseAsset.course_id == course.id)):
        path = folder / "assets" / asset.path
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(asset.content)
    return folder


# ====================================================================== visibility


def can_edit(user, course: Course) -> bool:
    """Admins and the course's own instructors may author it."""
    if not getattr(user, "is_authenticated", False):
        return False
    return user.has_role("admin") or (
        user.has_role("instructor") and user.email in course.instructor_emails)


def can_view(user, course: Course) -> bool:
    return course.published or can_edit(user, course)


# The statements every course, lesson and quiz page runs, built once: SQLAlchemy works out a
# fresh statement's cache key on every execution, which costs more than the round trip.
_COURSE_BY_CODE = select(Course).where(Course.code == bindparam("code"))
_ACTIVE_ITEM = (select(Item).where(Item.course_id == bindparam("course_id"),
                                   Item.slug == bindparam("slug"), Item.active.is_(True))
                .options(joinedload(Item.module)))
_ENROLMENT_WITH_DONE = (
    select(Enrolment, ItemProgress.item_id)
    .outerjoin(ItemProgress, ItemProgress.enrolment_id == Enrolment.id)
    .where(Enrolment.user_id == bindparam("user_id"),
           Enrolment.course_id == bindparam("course_id")))


def get_course(code: str, user) -> Course:
    """The course with this code, if the user may see it; NotFound otherwise."""
    # The instructors load only when a staff member's right to edit is checked (can_edit).
    course = db.session.scalar(_COURSE_BY_CODE, {"code": code})
    if course is None or not can_view(user, course):
        raise NotFound("No such course.")
    return course


def get_item(course: Course, slug: str, user=None) -> Item:
    """An active item of the course; an instructors-only item only for those who may edit the
    course (NotFound for everyone else, as if it did not exist)."""
    item = db.session.scalar(_ACTIVE_ITEM, {"course_id": course.id, "slug": slug})
    if item is None or item.instructors_only and not can_edit(user, course):
        raise NotFound("No such item in this course.")
    return item


def _learner_items():
    """The SQL condition of the items that count for learners (active, not instructors-only)."""
    return Item.active.is_(True) & (Item.audience == LEARNERS)


def _listed(staff: bool):
    """The items an outline and navigation show: instructors-only ones only to ``staff``."""
    return Item.active.is_(True) if staff else _learner_items()


# ====================================================================== catalogue


@dataclass
class CatalogueEntry:
    course: Course
    enrolment: Enrolment | None
    percent: int | None


#: Courses per catalogue page: a page costs the same with 5 courses or 5,000.
CATALOGUE_PAGE_SIZE = 24


@dataclass
class CataloguePage:
    entries: list[CatalogueEntry]
    total: int
    page: int
    pages: int


def catalogue(user, *, q: str = "", category: str | None = None, level: str | None = None,
              page: int = 1, per_page: int = CATALOGUE_PAGE_SIZE) -> CataloguePage:
    """One page of the courses the user may see, filtered; four queries whatever the number
    of courses (the page, the total, the user's enrolments on it and their progress)."""
    stmt = select(Course).where(_visible_to(user))
    if q:
        like = f"%{_like_escape(q.strip().lower())}%"
        stmt = stmt.where(or_(func.lower(Course.title).like(like, escape="\\"),
                              func.lower(Course.summary).like(like, escape="\\"),
                              func.lower(Course.code).like(like, escape="\\")))
    if category:
        stmt = stmt.where(Course.ce_category == category)
    if level:
        stmt = stmt.where(Course.level == level)
    total = db.session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    pages = max(1, -(-total // per_page))
    page = min(max(1, page), pages)
    courses = list(db.session.scalars(
        stmt.order_by(Course.code).limit(per_page).offset((page - 1) * per_page)
        .options(load_only(Course.code, Course.title, Course.summary, Course.level,
                           Course.published, Course.ce_hours, Course.ce_category,
                           Course.item_count))))
    enrolments: dict[int, Enrolment] = {}
    done: dict[int, int] = {}
    if getattr(user, "is_authenticated", False) and courses:
        ids = [c.id for c in courses]
        for found in db.session.scalars(select(Enrolment).where(
                Enrolment.user_id == user.id, Enrolment.course_id.in_(ids))):
            enrolments[found.course_id] = found
        done = _done_counts(list(enrolments.values()))
    entries = []
    for c in courses:
        e = enrolments.get(c.id)
        percent = _percent(done.get(e.id, 0), c.item_count) if e else None
        entries.append(CatalogueEntry(c, e, percent))
    return CataloguePage(entries, total, page, pages)


def _like_escape(text: str) -> str:
    """Make LIKE's wildcards (% and _) and the escape character match literally."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _visible_to(user):
    """SQL condition: the courses the user may see (see :func:`can_view`)."""
    if getattr(user, "is_authenticated", False) and user.has_role("admin"):
        return true()
    visible = Course.published.is_(True)
    if getattr(user, "is_authenticated", False) and user.has_role("instructor"):
        mine = select(CourseInstructor.course_id).where(CourseInstructor.email == user.email)
        visible = or_(visible, Course.id.in_(mine))
    return visible


def _done_counts(enrolments: list[Enrolment]) -> dict[int, int]:
    """Items done per enrolment, counting only active items (one query)."""
    if not enrolments:
        return {}
    rows = db.session.execute(
        select(ItemProgress.enrolment_id, func.count())
        .join(Item, Item.id == ItemProgress.item_id)
        .where(ItemProgress.enrolment_id.in_([e.id for e in enrolments]), _learner_items())
        .group_by(ItemProgress.enrolment_id))
    return {enrolment_id: n for enrolment_id, n in rows}


def _percent(done: int, total: int) -> int:
    return 100 if total == 0 else min(100, round(100 * done / total))


def category_names() -> dict[str, str]:
    """CE category keys → names from courses/program.yml (empty when it is missing)."""
    program = parser.load_program_categories()
    return program


# ====================================================================== enrolment and progress


def get_enrolment(user, course: Course) -> Enrolment | None:
    if not getattr(user, "is_authenticated", False):
        return None
    return db.session.scalar(select(Enrolment).where(Enrolment.user_id == user.id,
                                                     Enrolment.course_id == course.id))


def completed_course_codes(user) -> set[str]:
    return set(db.session.scalars(
        select(Course.code).join(Enrolment, Enrolment.course_id == Course.id)
        .where(Enrolment.user_id == user.id, Enrolment.completed_at.is_not(None))))


@dataclass
class Prerequisite:
    code: str
    title: str | None
    met: bool


def prerequisite_status(user, course: Course) -> list[Prerequisite]:
    if not course.prerequisites:
        return []
    titles = dict(db.session.execute(select(Course.code, Course.title)
                                     .where(Course.code.in_(course.prerequisites))).all())
    done = completed_course_codes(user) if getattr(user, "is_authenticated", False) else set()
    return [Prerequisite(code, titles.get(code), code in done) for code in course.prerequisites]


def enrol(user, course: Course, now: datetime) -> Enrolment:
    """Enrol a learner; prerequisites must be complete (staff may enrol regardless)."""
    if not can_view(user, course):
        raise NotFound("No such course.")
    existing = get_enrolment(user, course)
    if existing is not None:
        return existing
    missing = [p.code for p in prerequisite_status(user, course) if not p.met]
    if missing and not user.has_role("instructor"):
        raise ValidationError("Complete the prerequisite course(s) first: "
                              + ", ".join(missing) + ".")
    enrolment = Enrolment(user_id=user.id, course_id=course.id, enrolled_at=now,
                          last_activity_at=now)
    db.session.add(enrolment)
    db.session.commit()
    return enrolment


def require_enrolment(user, course: Course) -> Enrolment:
    enrolment = get_enrolment(user, course)
    if enrolment is None:
        raise PermissionDenied("Enrol in this course to open its lessons.")
    return enrolment


#: A learner reading on in one item is recorded at most this often (seconds).
VISIT_RESOLUTION_SECONDS = 60


def record_visit(enrolment: Enrolment, item: Item, now: datetime) -> bool:
    """Remember where the learner is, for "continue where you left off".

    Writes (one commit) only when the learner moved to another item or the last record is a
    minute old or more, so reading a page is not a write each time. True when it wrote.
    """
    last = enrolment.last_activity_at
    if enrolment.last_item_id == item.id and last is not None \
            and abs((now - last).total_seconds()) < VISIT_RESOLUTION_SECONDS:
        return False
    enrolment.last_item_id = item.id
    enrolment.last_activity_at = now
    db.session.commit()
    return True


def continue_item(enrolment: Enrolment | None, course: Course) -> OutlineEntry | None:
    """Where "Continue" takes a learner: the item last visited if it is still in the course,
    else the course's first item; None when not enrolled or the course is complete."""
    if enrolment is None or enrolment.completed_at is not None:
        return None
    listed = course_outline(course).listed(staff=False)
    last = next((e for e in listed if e.id == enrolment.last_item_id), None)
    return last or (listed[0] if listed else None)


def complete_lesson(enrolment: Enrolment, item: Item, now: datetime) -> bool:
    """Mark a lesson done; returns True when this completed the course."""
    if item.kind != "lesson":
        raise ValidationError("Only lessons are marked complete by hand; quizzes and "
                              "assignments complete when passed.")
    if item.instructors_only:
        raise ValidationError("This page is for instructors: it is not part of the course's "
                              "progress.")
    completed = mark_item_done(enrolment, item, now)
    db.session.commit()
    return completed


def mark_item_done(enrolment: Enrolment, item: Item, now: datetime) -> bool:
    """Record an item as done (inside the caller's transaction). True if the course completed.

    Called by the quiz engine when a quiz is passed, and by assignments when one is passed.
    """
    if item.course_id != enrolment.course_id:
        raise ValidationError("That item is not part of this enrolment's course.")
    exists = db.session.scalar(select(ItemProgress.id).where(
        ItemProgress.enrolment_id == enrolment.id, ItemProgress.item_id == item.id))
    if exists is None:
        db.session.add(ItemProgress(enrolment_id=enrolment.id, item_id=item.id,
                                    completed_at=now))
        db.session.flush()
    enrolment.last_activity_at = now
    completed = _check_completion(enrolment, now)
    if exists is None:
        item_done.send(enrolment, item=item, now=now)
    return completed


def _check_completion(enrolment: Enrolment, now: datetime) -> bool:
    if enrolment.completed_at is not None:
        return False
    course = enrolment.course
    done = _done_counts([enrolment]).get(enrolment.id, 0)
    if course.item_count and done >= course.item_count:
        enrolment.completed_at = now
        course_completed.send(enrolment, now=now)
        return True
    return False


@dataclass(frozen=True)
class OutlineEntry:
    """What outlines and navigation show of an item: plain values, kept in the shared cache."""

    id: int
    slug: str
    title: str
    kind: str
    position: int
    estimated_minutes: int
    audience: str
    module_id: int | None

    @property
    def instructors_only(self) -> bool:
        return self.audience != LEARNERS


@dataclass(frozen=True)
class OutlineModuleInfo:
    id: int
    title: str
    summary: str


@dataclass(frozen=True)
class CourseOutline:
    """A course's active items in order with their modules, as of one course revision."""

    entries: tuple[OutlineEntry, ...]
    modules: dict[int, OutlineModuleInfo]

    def listed(self, staff: bool) -> list[OutlineEntry]:
        """The entries an outline shows: instructors-only ones only to ``staff``."""
        return [e for e in self.entries if staff or not e.instructors_only]


@dataclass
class OutlineItem:
    item: OutlineEntry
    done: bool


@dataclass
class OutlineModule:
    module: OutlineModuleInfo | None
    items: list[OutlineItem]


def course_outline(course: Course) -> CourseOutline:
    """The course's outline, cached per course revision: every import, edit or restore that
    changes the course bumps ``course.revision``, so all workers see the change at once."""
    return remembered(f"outline:{course.id}:{course.revision}", lambda: _build_outline(course))


def _build_outline(course: Course) -> CourseOutline:
    rows = db.session.execute(
        select(Item.id, Item.slug, Item.title, Item.kind, Item.position, Item.estimated_minutes,
               Item.audience, Item.module_id, Module.title, Module.summary)
        .outerjoin(Module, Module.id == Item.module_id)
        .where(Item.course_id == course.id, Item.active.is_(True)).order_by(Item.position))
    entries, modules = [], {}
    for (item_id, slug, title, kind, position, minutes, audience, module_id, module_title,
         module_summary) in rows:
        entries.append(OutlineEntry(item_id, slug, title, kind, position, minutes, audience,
                                    module_id))
        if module_id is not None:
            modules[module_id] = OutlineModuleInfo(module_id, module_title, module_summary or "")
    return CourseOutline(tuple(entries), modules)


@dataclass
class Progress:
    done: int
    total: int
    percent: int
    done_ids: set[int]


def progress(enrolment: Enrolment | None, course: Course) -> Progress:
    if enrolment is None:
        return Progress(0, course.item_count, 0, set())
    done_ids = set(db.session.scalars(
        select(ItemProgress.item_id).join(Item, Item.id == ItemProgress.item_id)
        .where(ItemProgress.enrolment_id == enrolment.id, _learner_items())))
    return Progress(len(done_ids), course.item_count,
                    _percent(len(done_ids), course.item_count), done_ids)


def enrolment_progress(user, course: Course) -> tuple[Enrolment | None, Progress]:
    """The user's enrolment in the course and their progress, in one query: the enrolment with
    its completed items, counted among the learners' items of the cached outline (what
    :func:`get_enrolment` then :func:`progress` answer in two)."""
    if not getattr(user, "is_authenticated", False):
        return None, progress(None, course)
    rows = db.session.execute(_ENROLMENT_WITH_DONE,
                              {"user_id": user.id, "course_id": course.id}).all()
    if not rows:
        return None, progress(None, course)
    counted = {entry.id for entry in course_outline(course).listed(staff=False)}
    done_ids = {item_id for _, item_id in rows if item_id in counted}
    return rows[0][0], Progress(len(done_ids), course.item_count,
                                _percent(len(done_ids), course.item_count), done_ids)


def outline(course: Course, done_ids: set[int], staff: bool = False) -> list[OutlineModule]:
    """Active items grouped by module in course order, from the cached outline; instructors-only
    items only when ``staff`` (the course's instructors and admins)."""
    cached = course_outline(course)
    groups: list[OutlineModule] = []
    current: int | None = -1
    for entry in cached.listed(staff):
        if not groups or current != entry.module_id:
            current = entry.module_id
            groups.append(OutlineModule(
                cached.modules.get(entry.module_id) if entry.module_id is not None else None,
                []))
        groups[-1].items.append(OutlineItem(entry, entry.id in done_ids))
    return groups


def neighbours(course: Course, item: Item,
               staff: bool = False) -> tuple[OutlineEntry | None, OutlineEntry | None]:
    """The listed items before and after ``item`` (from the cached outline; no query)."""
    listed = course_outline(course).listed(staff)
    before = [e for e in listed if e.position < item.position]
    after = [e for e in listed if e.position > item.position]
    return (before[-1] if before else None), (after[0] if after else None)


@dataclass
class DashboardEntry:
    enrolment: Enrolment
    percent: int
    continue_item: Item | None


#: What a dashboard card shows of a course (its overview and source can be long).
_DASHBOARD_COURSE = (Course.code, Course.title, Course.item_count, Course.published)
#: What a "Continue" link needs of an item.
_CONTINUE_ITEM = (Item.course_id, Item.slug, Item.title, Item.kind, Item.position, Item.active,
                  Item.audience)


def dashboard(user) -> list[DashboardEntry]:
    """The learner's enrolments in courses they may see, most recent activity first.

    A course unpublished after the learner enrolled is left out (its pages answer 404).
    Constant number of queries.
    """
    # One query: the course from the join the visibility check needs anyway and the last
    # item joined, each with only what the card shows.
    enrolments = list(db.session.scalars(
        select(Enrolment).join(Course, Course.id == Enrolment.course_id)
        .where(Enrolment.user_id == user.id, _visible_to(user))
        .order_by(Enrolment.completed_at.is_not(None), Enrolment.last_activity_at.desc())
        .options(contains_eager(Enrolment.course).load_only(*_DASHBOARD_COURSE),
                 joinedload(Enrolment.last_item).load_only(*_CONTINUE_ITEM))))
    done = _done_counts(enrolments)
    first_items = _first_open_items(enrolments)
    entries = []
    for e in enrolments:
        target = e.last_item if e.last_item is not None and e.last_item.active \
            and not e.last_item.instructors_only else None
        entries.append(DashboardEntry(e, _percent(done.get(e.id, 0), e.course.item_count),
                                      target or first_items.get(e.id)))
    return entries


def _first_open_items(enrolments: list[Enrolment]) -> dict[int, Item]:
    """For enrolments with no last item: the course's first item (one query)."""
    wanted = {e.course_id: e.id for e in enrolments if e.last_item_id is None}
    if not wanted:
        return {}
    first = (select(Item.course_id, func.min(Item.position).label("pos"))
             .where(Item.course_id.in_(wanted), _learner_items())
             .group_by(Item.course_id).subquery())
    items = db.session.scalars(select(Item).join(
        first, (Item.course_id == first.c.course_id) & (Item.position == first.c.pos))
        .options(load_only(*_CONTINUE_ITEM)))
    return {wanted[i.course_id]: i for i in items}


def teaching_courses(user) -> list[Course]:
    stmt = select(Course).order_by(Course.code)
    if not user.has_role("admin"):
        stmt = stmt.join(CourseInstructor).where(CourseInstructor.email == user.email)
    return list(db.session.scalars(stmt))


# ====================================================================== authoring


def get_asset(course: Course, path: str) -> CourseAsset:
    """One of the course's files under assets/ (NotFound when it has none at that path)."""
    found = db.session.scalar(select(CourseAsset).where(CourseAsset.course_id == course.id,
                                                        CourseAsset.path == path))
    if found is None:
        raise NotFound("No such file.")
    return found


def active_item_at(code: str, slug: str) -> bool:
    """Whether the course with this code has an active item with this slug."""
    return db.session.scalar(
        select(Item.id).join(Course, Course.id == Item.course_id)
        .where(Course.code == code, Item.slug == slug, Item.active.is_(True))) is not None


def course_files(course: Course) -> set[str]:
    """The paths, relative to the course folder, of the files an imported course has: course.md,
    module.md files, items and assets (what a lesson's relative links may point at)."""
    files = {"course.md"}
    files.update(f"{m.dirname}/module.md" for m in course.modules if m.active and m.source)
    files.update(i.source_path for i in course.items if i.active)
    files.update(f"assets/{path}" for path in db.session.scalars(
        select(CourseAsset.path).where(CourseAsset.course_id == course.id)))
    return files


def save_item_source(item: Item, source: str, actor: User, now: datetime, *,
                     origin: str = "edit", note: str = "",
                     base_revision: int | None = None) -> ItemRevision | None:
    """Save edited Markdown as a new revision; None when nothing changed.

    base_revision is the revision the author started from: when someone saved another since,
    Conflict is raised and nothing is saved. The text is checked with the same parser as
    `courses check`; problems raise SourceProblems (a ValidationError) listing `LINE: message`
    for each, and nothing is saved. One commit, or a rollback and the error.
    """
    _check_base_revision(item, base_revision)
    try:
        rev = _save_item_source(item, source, actor, now, origin, note)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return rev


def _check_base_revision(item: Item, base_revision: int | None) -> None:
    """Conflict when someone saved a revision after the one the author started from."""
    if base_revision is not None and base_revision != item.revision:
        raise Conflict(f"Someone saved revision {item.revision} while you were editing. Your "
                       "text is below; compare with the history before saving again.")


def _save_item_source(item: Item, source: str, actor: User, now: datetime, origin: str,
                      note: str) -> ItemRevision | None:
    """Stage a new revision of the item (no commit); None when the text is unchanged."""
    source = source.replace("\r\n", "\n")
    if content_hash(source) == item.content_hash:
        return None
    parsed = checked_item_source(item, source)
    _apply_item_content(item, parsed, None, now, actor, origin, note)
    course = item.course
    course.revision += 1
    course.updated_at = now
    db.session.add(CourseRevision(course_id=course.id, number=course.revision, created_at=now,
                                  author_id=actor.id, source=origin,
                                  summary=f"{item.slug}: {origin}"[:2000]))
    active = [i for i in course.items if i.active and not i.instructors_only]
    course.item_count = len(active)  # publishing may have changed an item's audience
    course.estimated_minutes = sum(i.estimated_minutes for i in active)
    db.session.flush()
    return db.session.scalar(select(ItemRevision).where(ItemRevision.item_id == item.id,
                                                        ItemRevision.number == item.revision))


class SourceProblems(ValidationError):
    """Edited Markdown that `courses check` would refuse; `problems` lists (line, message)."""

    def __init__(self, problems: list[tuple[int, str]]):
        self.problems = problems
        super().__init__("The Markdown has problems; nothing was saved: "
                         + "; ".join(f"line {line}: {message}" for line, message in problems))


def checked_item_source(item: Item, source: str):
    """Parse an item's edited text exactly as `courses check` does; SourceProblems if refused."""
    parsed, problems = parser.parse_item_text(
        source, source_path=item.source_path, slug=item.slug,
        known_categories=None, course_files=course_files(item.course))
    if problems or parsed is None:
        raise SourceProblems([(p.line, p.message) for p in problems]
                             or [(1, "the text could not be read")])
    return parsed


def get_draft(item: Item) -> ItemDraft | None:
    return db.session.scalar(select(ItemDraft).where(ItemDraft.item_id == item.id))


def save_draft(item: Item, source: str, actor: User, now: datetime, *, note: str = "",
               base_revision: int | None = None) -> ItemDraft:
    """Keep an unpublished edit (one per item): learners keep seeing the current revision.

    A draft is kept even when it has problems (it is work in progress); publishing checks it.
    Conflict (nothing saved) when someone published a revision after base_revision.
    """
    _check_base_revision(item, base_revision)
    source = source.replace("\r\n", "\n")
    draft = get_draft(item) or ItemDraft(item_id=item.id)
    draft.source, draft.note, draft.base_revision = source, note.strip()[:300], item.revision
    draft.author_id, draft.updated_at = actor.id, now
    db.session.add(draft)
    db.session.commit()
    return draft


def discard_draft(item: Item) -> bool:
    """Delete the item's draft; False when there was none."""
    draft = get_draft(item)
    if draft is None:
        return False
    db.session.delete(draft)
    db.session.commit()
    return True


def publish_source(item: Item, source: str, actor: User, now: datetime, *, note: str = "",
                   base_revision: int | None = None) -> ItemRevision | None:
    """Publish edited text as the revision learners see and drop the item's draft: one
    transaction. Conflict when someone published after base_revision; SourceProblems when
    `courses check` would refuse the text. Either way nothing changes (the draft stays)."""
    _check_base_revision(item, base_revision)
    try:
        rev = _save_item_source(item, source, actor, now, "edit", note)
        draft = get_draft(item)
        if draft is not None:
            db.session.delete(draft)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return rev


def draft_preview(item: Item, draft: ItemDraft) -> tuple[str, list[tuple[int, str]]]:
    """The draft's Markdown body as learners would read it once published, and its problems."""
    parsed, problems = parser.parse_item_text(
        draft.source, source_path=item.source_path, slug=item.slug,
        known_categories=None, course_files=course_files(item.course))
    body = parsed.body if parsed is not None else draft.source
    return body, [(p.line, p.message) for p in problems]


def item_history(item: Item) -> list[ItemRevision]:
    return list(db.session.scalars(
        select(ItemRevision).where(ItemRevision.item_id == item.id)
        .order_by(ItemRevision.number.desc()).options(selectinload(ItemRevision.author))))


def get_revision(item: Item, number: int) -> ItemRevision:
    rev = db.session.scalar(select(ItemRevision).where(ItemRevision.item_id == item.id,
                                                       ItemRevision.number == number))
    if rev is None:
        raise NotFound("No such revision.")
    return rev


def revision_diff(item: Item, number: int) -> list[tuple[str, str]]:
    """Unified diff of revision `number` against the one before it, as (kind, line) pairs."""
    rev = get_revision(item, number)
    before = db.session.scalar(select(ItemRevision.source).where(
        ItemRevision.item_id == item.id, ItemRevision.number == number - 1)) or ""
    lines = difflib.unified_diff(before.splitlines(), rev.source.splitlines(),
                                 fromfile=f"revision {number - 1}", tofile=f"revision {number}",
                                 lineterm="")
    out = []
    for number, line in enumerate(lines):
        # Only the two file lines open a unified diff: a removed `---` line reads "----".
        kind = ("meta" if number < 2 or line.startswith("@@") else
                "add" if line.startswith("+") else "del" if line.startswith("-") else "same")
        out.append((kind, line))
    return out


def restore_revision(item: Item, number: int, actor: User, now: datetime) -> ItemRevision | None:
    rev = get_revision(item, number)
    return save_item_source(item, rev.source, actor, now, origin="restore",
                            note=f"restored from revision {number}")
