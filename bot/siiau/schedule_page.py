"""SIIAU's schedule page (sgpregi.horario / sfpcoal.horario) → `Schedule`.

The adapter owns its pages: the rest of the bot gets a `Schedule` from
`SiiauSchedulePage.schedule()` and never sees this page's HTML or its field names.

The parser trusts nothing it has not recognised: when the title or the header
row differs from the known 17 columns, it raises `LayoutChanged` rather than
guessing. SIIAU's Spanish field names stay inside this module.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime, time

from bs4 import BeautifulSoup, Tag

from bot.schedule.model import Course, Day, Schedule, Session
from bot.siiau import trail
from bot.siiau.errors import LayoutChanged, SiiauPage, SurveyPending
from bot.siiau.pages import fragment

HEADER = (
    "NRC",
    "CVE",
    "MATERIA",
    "SEC",
    "CR",
    "HORARIO",
    "L",
    "M",
    "I",
    "J",
    "V",
    "S",
    "EDIF",
    "AULA",
    "PROFESOR",
    "FECHA INCIO",
    "FECHA FIN",
)
EXTRA_SESSION_CELLS = 13
DAY_LETTERS = {
    "L": Day.MONDAY,
    "M": Day.TUESDAY,
    "I": Day.WEDNESDAY,
    "J": Day.THURSDAY,
    "V": Day.FRIDAY,
    "S": Day.SATURDAY,
}
_TITLE = re.compile(r"horario de cursos del ciclo\s+(\S+)", re.IGNORECASE)
_HOURS = re.compile(r"^(\d{2})(\d{2})\s*-\s*(\d{2})(\d{2})$")
# A pending survey replaces the page's content with a bold "Encuestas" (PROTOCOL, grades).
_SURVEY = re.compile(r"encuestas\s*</b>", re.IGNORECASE)
_CAREER = re.compile(r"^(.*?)\s*\(([A-Z0-9]{2,5})\)\s*$")


def text(cell: Tag) -> str:
    """Cell text with &nbsp; and runs of whitespace folded to single spaces."""
    return " ".join(cell.get_text(" ").replace("\xa0", " ").split())


@dataclass(frozen=True, slots=True)
class SiiauSchedulePage:
    """A schedule page as SIIAU sent it, decoded to text; `schedule()` reads it."""

    html: str
    career: str
    cycle: str | None
    source: SiiauPage | None = field(default=None, repr=False, compare=False)  # for a capture

    def schedule(self) -> Schedule:
        try:
            return parse_schedule(self.html, career=self.career)
        except (
            LayoutChanged
        ) as error:  # read after the request, often in another task: the page rides along
            trail.attach(error, self.source)
            error.path = error.path or (self.source.path if self.source else "")
            raise


def parse_schedule(html: str, *, career: str = "") -> Schedule:
    try:
        return _parse(html, career)
    except LayoutChanged as error:
        error.step = error.step or "schedule page"
        raise


def _parse(html: str, career: str) -> Schedule:
    soup = BeautifulSoup(html, "lxml")
    table = _schedule_table(soup)
    if table is None:
        if _SURVEY.search(html):
            raise SurveyPending("SIIAU shows its survey instead of the schedule")
        raise LayoutChanged(
            "schedule table not found", fragment(html), marker="Horario de cursos del ciclo"
        )
    rows = table.find_all("tr", recursive=False) or table.find_all("tr")
    title_match = _TITLE.search(text(rows[0]))
    assert title_match is not None  # _schedule_table only returns titled tables
    header = (
        tuple(text(cell).upper() for cell in rows[1].find_all(["th", "td"]))
        if len(rows) > 1
        else ()
    )
    if header != HEADER:
        raise LayoutChanged(
            "schedule header differs from the known 17 columns",
            fragment(str(rows[1]) if len(rows) > 1 else str(rows[0])),
            marker="the 17 columns NRC … FECHA FIN",
        )
    courses = _courses(rows[2:])
    student = _student_data(soup)
    career_name, career_code = _split_career(student.get("CARRERA", ""), career)
    return Schedule(
        term=_selected_cycle(soup) or title_match.group(1),
        term_label=title_match.group(1),
        student_name=student.get("NOMBRE", ""),
        student_code=student.get("CODIGO", ""),
        career=career_code,
        career_name=career_name,
        courses=tuple(courses),
    )


def looks_like_schedule(html: str) -> bool:
    """Whether SIIAU answered with a schedule page at all (its titled table, its student block
    or its cycle selector), however its rows read: a login form, a frameset or a notice is
    some other page, never a schedule with no courses."""
    soup = BeautifulSoup(html, "lxml")
    if _schedule_table(soup) is not None or _selected_cycle_select(soup) is not None:
        return True
    return any("DATOS DEL ESTUDIANTE" in text(table).upper() for table in soup.find_all("table"))


def _selected_cycle_select(soup: BeautifulSoup) -> Tag | None:
    found = soup.find("select", attrs={"name": re.compile("^pciclo$", re.I)})
    return found if isinstance(found, Tag) else None


def _schedule_table(soup: BeautifulSoup) -> Tag | None:
    for table in soup.find_all("table"):
        first_row = table.find("tr")
        if first_row is not None and _TITLE.search(text(first_row)):
            return table
    return None


def _courses(rows: list[Tag]) -> list[Course]:
    courses: list[Course] = []
    for row in rows:
        cells = row.find_all(["td", "th"], recursive=False)
        values = [text(cell) for cell in cells]
        if len(cells) == len(HEADER):
            courses.append(
                Course(
                    nrc=values[0],
                    key=values[1],
                    name=values[2],
                    section=values[3],
                    credits=int(values[4]) if values[4].isdigit() else None,
                    sessions=(_session(values[5:]),),
                )
            )
        elif len(cells) == EXTRA_SESSION_CELLS and cells[0].get("colspan") == "5":
            if not courses:
                raise LayoutChanged("extra session row before any course", fragment(str(row)))
            previous = courses[-1]
            courses[-1] = Course(
                previous.nrc,
                previous.key,
                previous.name,
                previous.section,
                previous.credits,
                previous.sessions + (_session(values[1:]),),
            )
        elif any(values):
            raise LayoutChanged(f"schedule row with {len(cells)} cells", fragment(str(row)))
    return courses


def _session(values: list[str]) -> Session:
    """HORARIO, L, M, I, J, V, S, EDIF, AULA, PROFESOR, FECHA INCIO, FECHA FIN.

    A cell we cannot place is a changed layout, never a silently lost class: a day
    cell holds its own column's letter or nothing, and hours and dates parse or are empty.
    """
    hours, day_cells = values[0], values[1:7]
    start, end = _hours(hours)
    days = []
    for column, value in zip(DAY_LETTERS, day_cells, strict=True):
        if value.upper() == column:
            days.append(DAY_LETTERS[column])
        elif value:
            raise LayoutChanged(
                f"day cell {value!r} under column {column}", marker=f"'{column}' or an empty cell"
            )
    return Session(
        days=tuple(days),
        start=start,
        end=end,
        building=values[7],
        room=values[8],
        professor=values[9],
        first_day=_date(values[10]),
        last_day=_date(values[11]),
    )


def _hours(value: str) -> tuple[time | None, time | None]:
    if not value:
        return None, None  # a course with no set hours (online, practice)
    match = _HOURS.match(value)
    h1, m1, h2, m2 = (int(group) for group in match.groups()) if match else (99, 0, 0, 0)
    if h1 > 23 or h2 > 23 or m1 > 59 or m2 > 59:
        raise LayoutChanged(f"hours cell {value!r}", marker="HHMM-HHMM")
    return time(h1, m1), time(h2, m2)


def _date(value: str) -> date | None:
    if not value:
        return None
    try:
        return datetime.strptime(value, "%d-%m-%Y").date()
    except ValueError:
        raise LayoutChanged(f"date cell {value!r}", marker="dd-mm-yyyy") from None


def _student_data(soup: BeautifulSoup) -> dict[str, str]:
    """The DATOS DEL ESTUDIANTE block, read by its labels wherever they stand.

    Labels may be `th` or `td` cells, with or without a colon, either beside their
    values (label, value, label, value…) or as a row of labels over a row of values.
    """
    for table in soup.find_all("table"):
        if "DATOS DEL ESTUDIANTE" not in text(table).upper():
            continue
        data: dict[str, str] = {}
        rows = [[text(cell) for cell in row.find_all(["th", "td"])] for row in table.find_all("tr")]
        for row, below in zip(rows, [*rows[1:], []], strict=True):
            labels = [_label(cell) for cell in row]
            if (
                len(row) > 1
                and all(labels)
                and len(below) >= len(row)
                and not any(map(_label, below))
            ):
                data.update(
                    zip(labels, below, strict=False)
                )  # a row of labels over a row of values
                continue
            for cell, value in zip(row, [*row[1:], ""], strict=True):
                label = _label(cell)
                if label and value and not _label(value):
                    data.setdefault(label, value)
        return data
    return {}


STUDENT_LABELS = (
    "CODIGO",
    "NOMBRE",
    "CARRERA",
    "CENTRO",
    "SITUACION",
    "ULTIMO CICLO",
    "SEDE",
    "ADMISION",
)


def _label(cell: str) -> str:
    """The block's label a cell holds ('CODIGO', 'NOMBRE'…), or '' for a value."""
    plain = unicodedata.normalize("NFKD", cell).encode("ascii", "ignore").decode().upper().strip()
    plain = plain.removesuffix(":").strip()
    return plain if plain in STUDENT_LABELS else ""


def _split_career(value: str, fallback_code: str) -> tuple[str, str]:
    match = _CAREER.match(value)
    if match:
        return match.group(1), match.group(2)
    return value, fallback_code


def _selected_cycle(soup: BeautifulSoup) -> str | None:
    select = soup.find("select", attrs={"name": re.compile("^pciclo$", re.I)})
    if select is None:
        return None
    option = select.find("option", selected=True)
    value = str(option.get("value", "")).strip() if option else ""
    return value or None
