"""What the CE page renders and downloads: the SVG chart, the transcript (PDF, CSV), the
deadline (iCalendar). Pure functions of the loaded record; no database."""
from __future__ import annotations

import csv
import io
from datetime import date, datetime
from decimal import Decimal
from xml.sax.saxutils import escape

from icalendar import Alarm, Calendar, Event
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from lms.credits import rules

CHART_W, CHART_H, PAD = 640, 220, 36


def chart_svg(status: rules.HolderStatus, today: date) -> str:
    """Hours counted over the cycle (a step line) against the requirement, as inline SVG."""
    cycle, result = status.cycle, status.progress
    span = max(1, (cycle.end - cycle.start).days)
    top = float(max(result.required, result.total, Decimal(1)))
    w, h = CHART_W - 2 * PAD, CHART_H - 2 * PAD

    def x(day: date) -> float:
        return PAD + w * min(max((day - cycle.start).days, 0), span) / span

    def y(hours: float) -> float:
        return PAD + h - h * hours / top

    points = [(x(cycle.start), y(0))]
    total = 0.0
    for item in sorted(result.entries, key=lambda c: c.entry.on):
        if item.counted <= 0:
            continue
        px = x(max(item.entry.on, cycle.start))
        points.append((px, y(total)))
        total += float(item.counted)
        points.append((px, y(total)))
    points.append((x(min(today, cycle.end)), y(total)))
    line = " ".join(f"{px:.1f},{py:.1f}" for px, py in points)
    goal = y(float(result.required))
    label = (f"Hours counted over the cycle: {rules.format_hours(result.total)} of "
             f"{rules.format_hours(result.required)}")
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {CHART_W} {CHART_H}" '
        f'role="img" aria-label="{escape(label)}" class="ce-chart">'
        f'<title>{escape(label)}</title>'
        f'<rect x="{PAD}" y="{PAD}" width="{w}" height="{h}" fill="none" stroke="#bbb"/>'
        f'<line x1="{PAD}" y1="{goal:.1f}" x2="{PAD + w}" y2="{goal:.1f}" stroke="#b45309" '
        f'stroke-dasharray="6 4"/>'
        f'<text x="{PAD + 4}" y="{goal - 4:.1f}" font-size="12" fill="#b45309">required '
        f'{rules.format_hours(result.required)} h</text>'
        f'<line x1="{x(today):.1f}" y1="{PAD}" x2="{x(today):.1f}" y2="{PAD + h}" '
        f'stroke="#888" stroke-dasharray="2 3"/>'
        f'<polyline points="{line}" fill="none" stroke="#0f766e" stroke-width="3"/>'
        f'<text x="{PAD}" y="{CHART_H - 10}" font-size="12">'
        f'{escape(rules.format_date(cycle.start))}</text>'
        f'<text x="{PAD + w}" y="{CHART_H - 10}" font-size="12" text-anchor="end">'
        f'{escape(rules.format_date(cycle.last_day))}</text>'
        f'<text x="{PAD - 6}" y="{PAD + h}" font-size="12" text-anchor="end">0</text>'
        f'</svg>')


TRANSCRIPT_COLUMNS = ("date", "title", "provider", "category", "type", "hours", "status",
                      "counted", "note")


def transcript_rows(record) -> list[dict[str, str]]:
    """Every ledger row (reversals too: the transcript is the history) with its status."""
    counted = record.counted()
    reversed_ids = record.reversed_ids
    rows = []
    for e in record.entries:
        c = counted.get(str(e.id))
        if e.kind == "reversal":
            status, note = "reversal", e.reason
        elif e.id in reversed_ids:
            status, note = "reversed", ""
        else:
            status, note = "approved", "; ".join(c.reasons) if c else ""
        rows.append({"id": e.id, "by": e.created_by.name if e.created_by else "",
                     "date": e.earned_on.isoformat(), "title": e.title, "provider": e.provider,
                     "category": record.programme.category_name(e.category),
                     "type": e.activity_type, "hours": rules.format_hours(e.hours),
                     "status": status,
                     "counted": rules.format_hours(c.counted) if c else "",
                     "note": note})
    return rows


def _safe_cell(value: str) -> str:
    """A spreadsheet must not run a cell as a formula (CSV injection)."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def csv_text(columns, rows) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(columns), extrasaction="ignore")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: _safe_cell(str(v)) for k, v in row.items()})
    return out.getvalue()


def transcript_pdf(record, generated: datetime) -> bytes:
    styles = getSampleStyleSheet()
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(buffer, pagesize=A4, title="CE transcript",
                            leftMargin=36, rightMargin=36)
    status = record.status
    story = [Paragraph(f"{escape(record.programme.credential.name)}: CE transcript",
                       styles["Title"]),
             Paragraph(f"{escape(record.user.name)} &lt;{escape(record.user.email)}&gt; · "
                       f"credential {escape(record.holder.credential_ref)}", styles["Normal"]),
             Paragraph(f"Cycle {rules.format_date(status.cycle.start)} to "
                       f"{rules.format_date(status.cycle.last_day)} · state "
                       f"{status.state.value} · {rules.format_hours(status.progress.total)} of "
                       f"{rules.format_hours(status.progress.required)} hours counted",
                       styles["Normal"]),
             Paragraph(escape(status.missing or "Requirements met."), styles["Normal"]),
             Spacer(1, 12)]
    data = [["Date", "Title", "Category", "Hours", "Status"]]
    for row in transcript_rows(record):
        data.append([row["date"], Paragraph(escape(row["title"]), styles["BodyText"]),
                     row["category"], row["hours"], row["status"]])
    table = Table(data, colWidths=[62, 230, 130, 40, 60], repeatRows=1)
    table.setStyle(TableStyle([("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#0f766e")),
                               ("TEXTCOLOR", (0, 0), (-1, 0), colors.white),
                               ("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
                               ("VALIGN", (0, 0), (-1, -1), "TOP"),
                               ("FONTSIZE", (0, 0), (-1, -1), 8)]))
    story += [table, Spacer(1, 12),
              Paragraph(f"Generated {generated:%d %B %Y %H:%M} UTC.", styles["Italic"])]
    doc.build(story)
    return buffer.getvalue()


def deadline_ics(record, host: str) -> bytes:
    status = record.status
    cal = Calendar()
    cal.add("prodid", "-//Just Communities AP//CE deadline//EN")
    cal.add("version", "2.0")
    event = Event()
    event.add("uid", f"ce-{record.user.id}-{status.cycle.index}-{status.deadline}@{host}")
    event.add("summary", f"{record.programme.credential.abbreviation} CE deadline")
    event.add("dtstart", status.deadline)
    event.add("dtend", status.deadline + rules.ONE_DAY)
    event.add("dtstamp", datetime.combine(record.today, datetime.min.time()))
    event.add("description", status.missing or "Your CE requirements are met: renew.")
    alarm = Alarm()
    alarm.add("action", "DISPLAY")
    alarm.add("description", "CE deadline in a week")
    alarm.add("trigger", -rules.dt.timedelta(days=7))
    event.add_component(alarm)
    cal.add_component(event)
    return cal.to_ical()
