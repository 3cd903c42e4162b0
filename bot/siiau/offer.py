"""SIIAU's public course offer (consulta.siiau.udg.mx/wco) → typed data.

Two pages, both public (no login): the query form `sspseca.forma_consulta`
(cycles, centres and the fields the search posts) and the results
`sspseca.consulta_oferta` (one row per section, with nested tables of
sessions and professors). Both parsers find what they need by meaning — select
names, header labels — and raise `LayoutChanged` for anything they cannot
place, instead of dropping it. SIIAU's Spanish labels stay inside this module.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time

from bs4 import BeautifulSoup, Comment, Tag

from bot.schedule.model import Course, Day, Session
from bot.siiau.errors import LayoutChanged, SiiauUnavailable
from bot.siiau.pages import fragment

# ---- typed results ---------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Cycle:
    code: str  # "202510"; letter codes such as "2025D" exist for special cycles
    name: str  # "Calendario 25 A"

    @property
    def regular(self) -> bool:
        """Calendar A (YYYY10) or B (YYYY20): the cycles students enrol in."""
        return re.fullmatch(r"\d{4}[12]0", self.code) is not None


@dataclass(frozen=True, slots=True)
class Centre:
    code: str  # "D"
    name: str  # "C.U. DE CS. EXACTAS E ING."


@dataclass(frozen=True, slots=True)
class OfferForm:
    cycles: tuple[Cycle, ...]
    centres: tuple[Centre, ...]
    action: str  # where the form posts, relative to the form page
    fields: tuple[str, ...]  # every named control, in page order
    page_sizes: tuple[int, ...]  # the `mostrarp` choices
    default_page_size: int | None


@dataclass(frozen=True, slots=True)
class OfferSession:
    """One row of a section's sessions table."""

    number: str  # "01": the professors table refers to sessions by this number
    days: tuple[Day, ...]
    start: time | None
    end: time | None
    building: str
    room: str
    first_day: date | None
    last_day: date | None


@dataclass(frozen=True, slots=True)
class OfferProfessor:
    session: str  # the session number this professor teaches
    name: str


@dataclass(frozen=True, slots=True)
class OfferSection:
    nrc: str
    key: str  # the course's clave, e.g. "V0731"
    name: str
    section: str
    credits: int | None
    seats: int  # CUP
    free: int  # DIS
    sessions: tuple[OfferSession, ...]
    professors: tuple[OfferProfessor, ...]

    def professor_of(self, session_number: str) -> str:
        names = dict.fromkeys(p.name for p in self.professors if p.session == session_number)
        return " / ".join(names)

    def to_course(self) -> Course:
        """The section in the schedule's model, each session with its professor(s)."""
        return Course(
            nrc=self.nrc,
            key=self.key,
            name=self.name,
            section=self.section,
            credits=self.credits,
            sessions=tuple(
                Session(
                    days=s.days,
                    start=s.start,
                    end=s.end,
                    building=s.building,
                    room=s.room,
                    professor=self.professor_of(s.number),
                    first_day=s.first_day,
                    last_day=s.last_day,
                )
                for s in self.sessions
            ),
        )


@dataclass(frozen=True, slots=True)
class OfferPage:
    """One results page. Paging facts are kept raw; the client decides from them."""

    cycle: str | None  # from the title row, "... del ciclo 202510"
    centre_name: str | None  # the page's heading, e.g. "CENTRO UNIVERSITARIO DE ..."
    sections: tuple[OfferSection, ...]
    total: int | None  # "Total de registros: N"
    end_of_report: bool  # "FIN DEL REPORTE" was printed
    next_start: int | None  # `p_start` of a next-page control, when the page has one

    @property
    def has_more(self) -> bool:
        """The page itself says results continue past it (read on a first page)."""
        return self.more_after(len(self.sections))

    def more_after(self, collected: int, page_size: int | None = None) -> bool:
        """Whether results continue once `collected` sections (this page's included)
        are in hand. Whether "Total de registros" counts the page or the whole query
        is unknown, so the count only ever adds evidence of more, never removes it."""
        if not self.sections:
            return False  # an empty page ends any listing
        if self.next_start is not None:
            return True
        if self.total is not None and self.total > collected:
            return True
        if self.end_of_report:
            return False
        # Neither an end marker nor a count: only a full page suggests more.
        return page_size is None or len(self.sections) >= page_size


# ---- the form --------------------------------------------------------------

CYCLE_FIELD = "ciclop"
CENTRE_FIELD = "cup"
PAGE_SIZE_FIELD = "mostrarp"


def parse_offer_form(html: str) -> OfferForm:
    soup = BeautifulSoup(html, "lxml")
    cycle_select = _select(soup, CYCLE_FIELD)
    centre_select = _select(soup, CENTRE_FIELD)
    if cycle_select is None or centre_select is None:
        raise LayoutChanged("offer form: no ciclop/cup select", fragment(html))
    form = cycle_select.find_parent("form")
    if form is None:
        raise LayoutChanged("offer form: the cycle select is outside a form", fragment(html))
    cycles = tuple(Cycle(code, name) for code, name in _options(cycle_select))
    centres = tuple(Centre(code, name) for code, name in _options(centre_select))
    if not cycles or not centres:
        raise LayoutChanged("offer form: no cycles or no centres", fragment(html))
    sizes: list[int] = []
    default_size: int | None = None
    for radio in form.find_all("input", attrs={"name": _name(PAGE_SIZE_FIELD)}):
        value = _attr(radio, "value")
        if not value.isdigit():
            raise LayoutChanged("offer form: odd page size", fragment(str(radio)))
        sizes.append(int(value))
        if radio.has_attr("checked"):
            default_size = int(value)
    return OfferForm(
        cycles=cycles,
        centres=centres,
        action=_attr(form, "action"),
        fields=tuple(dict.fromkeys(_attr(c, "name") for c in _controls(form))),
        page_sizes=tuple(sizes),
        default_page_size=default_size,
    )


@dataclass(frozen=True, slots=True)
class StudentOfferForm:
    """The offer form a logged-in student reaches from Escolar (`sgpofer.secciones`)."""

    action: str  # where it posts, relative to the form page
    cycles: tuple[Cycle, ...]
    selected_cycle: str | None  # the option the page marks SELECTED
    centre: str  # the selected (or only) centre, "" when the form has none


STUDENT_OFFER_FORM = "frm_consulta_oferta"
STUDENT_OFFER_ACTION = "sspseca.consulta_oferta"


def parse_student_offer_form(html: str) -> StudentOfferForm:
    """The form `frm_consulta_oferta` (else the form holding `ciclop`); its action defaults
    to `sspseca.consulta_oferta`, as the public scraper that reads it does."""
    soup = BeautifulSoup(html, "lxml")
    cycle_select = _select(soup, CYCLE_FIELD)
    form = soup.find("form", attrs={"name": _name(STUDENT_OFFER_FORM)})
    if not isinstance(form, Tag) and cycle_select is not None:
        form = cycle_select.find_parent("form")
    if not isinstance(form, Tag) or cycle_select is None:
        raise LayoutChanged(
            "student offer form not found",
            fragment(html),
            marker=f"form[name={STUDENT_OFFER_FORM}] select[name=ciclop]",
        )
    cycles = tuple(Cycle(code, name) for code, name in _options(cycle_select) if code)
    if not cycles:
        raise LayoutChanged(
            "student offer form: no cycles", fragment(html), marker="select[name=ciclop] options"
        )
    centre_select = _select(soup, CENTRE_FIELD)
    centres = _options(centre_select) if centre_select is not None else []
    return StudentOfferForm(
        action=_attr(form, "action").strip() or STUDENT_OFFER_ACTION,
        cycles=cycles,
        selected_cycle=_selected(cycle_select),
        centre=(_selected(centre_select) if centre_select is not None else None)
        or (centres[0][0] if len(centres) == 1 else ""),
    )


def _selected(select: Tag) -> str | None:
    option = select.find("option", selected=True)
    value = _attr(option, "value").strip() if isinstance(option, Tag) else ""
    return value or None


def _name(field: str) -> re.Pattern[str]:
    return re.compile(f"^{re.escape(field)}$", re.IGNORECASE)


def _select(soup: BeautifulSoup, field: str) -> Tag | None:
    found = soup.find("select", attrs={"name": _name(field)})
    return found if isinstance(found, Tag) else None


def _options(select: Tag) -> list[tuple[str, str]]:
    """(value, label) pairs; the label loses its "VALUE - " prefix."""
    pairs = []
    for option in select.find_all("option"):
        value = _attr(option, "value").strip()
        label = _text(option)
        prefix = f"{value} - "
        pairs.append((value, label[len(prefix) :] if label.startswith(prefix) else label))
    return pairs


def _controls(form: Tag) -> Iterable[Tag]:
    for control in form.find_all(["input", "select", "textarea"]):
        if _attr(control, "name") and _attr(control, "type").lower() not in (
            "submit",
            "reset",
            "button",
        ):
            yield control


def _attr(tag: Tag, name: str) -> str:
    value = tag.get(name)
    if isinstance(value, list):  # bs4 returns class-like attributes as lists
        return " ".join(value)
    return value or ""


# ---- the results -----------------------------------------------------------

# Header label (upper case, unaccented) → our field.
_COLUMNS = {
    "NRC": "nrc",
    "CLAVE": "key",
    "CVE": "key",
    "MATERIA": "name",
    "SEC": "section",
    "CR": "credits",
    "CUP": "seats",
    "DIS": "free",
}
# Nested tables have no header of their own: their columns are named, in order,
# by the outer header's label, e.g. "Ses/Hora/Días/Edif/Aula/Periodo".
_SESSION_PARTS = {
    "SES": "number",
    "HORA": "hours",
    "DIAS": "days",
    "EDIF": "building",
    "AULA": "room",
    "PERIODO": "period",
}
_PROFESSOR_PARTS = {"SES": "session", "PROFESOR": "name"}
DAY_LETTERS = ("L", "M", "I", "J", "V", "S")  # Monday to Saturday, one position each
_HOURS = re.compile(r"^(\d{2})(\d{2})\s*-\s*(\d{2})(\d{2})$")
_PERIOD = re.compile(r"^(\d{2}/\d{2}/\d{2})\s*-\s*(\d{2}/\d{2}/\d{2})$")
_INTEGER = re.compile(r"^-?\d+$")
_TITLE = re.compile(r"oferta acad[eé]mica del ciclo\s+(\S+)", re.IGNORECASE)
_TOTAL = re.compile(r"total de registros:\s*(\d+)", re.IGNORECASE)
_END = re.compile(r"fin del reporte", re.IGNORECASE)
_NEXT_START = re.compile(r"[?&]p_start=(\d+)", re.IGNORECASE)
_OUTAGE = re.compile(r"mantenimiento|fuera de servicio", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class _Layout:
    columns: dict[str, int]  # our field → cell index in a section row
    width: int
    session_parts: tuple[str, ...]
    professor_parts: tuple[str, ...]


def parse_offer_results(html: str) -> OfferPage:
    soup = BeautifulSoup(html, "lxml")
    page_text = _text(soup)
    total_match = _TOTAL.search(page_text)
    total = int(total_match.group(1)) if total_match else None
    found = _results_table(soup)
    if found is None:
        if total == 0:
            # SIIAU may print only the count when nothing matched: an empty offer.
            return OfferPage(None, _heading(soup), (), 0, bool(_END.search(page_text)), None)
        if _OUTAGE.search(page_text):
            # Only a page with no results table at all may be an outage: a course
            # can be named "MANTENIMIENTO INDUSTRIAL".
            raise SiiauUnavailable("the course offer shows an outage page")
        raise LayoutChanged("offer results table not found", fragment(html))
    table, header_index, layout = found
    rows = _own_rows(table)
    title = _TITLE.search(" ".join(_text(row) for row in rows[:header_index]))
    sections = tuple(_section(row, layout) for row in rows[header_index + 1 :] if not _blank(row))
    if total is not None and total < len(sections):
        raise LayoutChanged(
            f"offer says {total} records but shows {len(sections)}", fragment(page_text)
        )
    return OfferPage(
        cycle=title.group(1) if title else None,
        centre_name=_heading(soup),
        sections=sections,
        total=total,
        end_of_report=bool(_END.search(page_text)),
        next_start=_next_start(soup),
    )


def _results_table(soup: BeautifulSoup) -> tuple[Tag, int, _Layout] | None:
    """The table whose own header row names the offer's columns."""
    for table in soup.find_all("table"):
        for index, row in enumerate(_own_rows(table)):
            labels = [_label(cell) for cell in _cells(row)]
            if "NRC" in labels and any(label in ("CLAVE", "CVE") for label in labels):
                return table, index, _layout(labels, row)
    return None


def _layout(labels: list[str], row: Tag) -> _Layout:
    columns: dict[str, int] = {}
    session_parts: tuple[str, ...] = ()
    professor_parts: tuple[str, ...] = ()
    for index, label in enumerate(labels):
        parts = tuple(part.strip() for part in label.split("/"))
        if label in _COLUMNS and _COLUMNS[label] not in columns:
            columns[_COLUMNS[label]] = index
        elif len(parts) > 1 and set(parts) <= set(_SESSION_PARTS) and "HORA" in parts:
            columns["sessions"] = index
            session_parts = tuple(_SESSION_PARTS[p] for p in parts)
        elif parts[-1] == "PROFESOR" and set(parts) <= set(_PROFESSOR_PARTS):
            columns["professors"] = index
            professor_parts = tuple(_PROFESSOR_PARTS[p] for p in parts)
        else:
            raise LayoutChanged(f"offer column {label!r} is unknown", fragment(str(row)))
    missing = {*_COLUMNS.values(), "sessions", "professors"} - set(columns)
    if missing:
        raise LayoutChanged(f"offer columns missing: {sorted(missing)}", fragment(str(row)))
    for needed, parts in (
        ("hours", session_parts),
        ("days", session_parts),
        ("name", professor_parts),
    ):
        if needed not in parts:
            raise LayoutChanged(f"offer nested column {needed} missing", fragment(str(row)))
    return _Layout(columns, len(labels), session_parts, professor_parts)


def _section(row: Tag, layout: _Layout) -> OfferSection:
    cells = _cells(row)
    if len(cells) != layout.width:
        raise LayoutChanged(f"offer row with {len(cells)} cells", fragment(str(row)))

    def value(field: str) -> str:
        return _text(cells[layout.columns[field]])

    nrc, key, name, section = value("nrc"), value("key"), value("name"), value("section")
    if not nrc.isdigit() or not key or not name or not section:
        raise LayoutChanged("offer row without NRC, clave, course or section", fragment(str(row)))
    credits = value("credits")
    return OfferSection(
        nrc=nrc,
        key=key,
        name=name,
        section=section,
        credits=None if credits == "" else _integer(credits, row),
        seats=_integer(value("seats"), row),
        free=_integer(value("free"), row),
        sessions=tuple(
            _session(parts, row)
            for parts in _nested_rows(cells[layout.columns["sessions"]], layout.session_parts)
        ),
        professors=tuple(
            OfferProfessor(session=parts.get("session", ""), name=parts["name"])
            for parts in _nested_rows(cells[layout.columns["professors"]], layout.professor_parts)
        ),
    )


def _nested_rows(cell: Tag, parts: tuple[str, ...]) -> list[dict[str, str]]:
    """Rows of the table(s) inside a cell, each as {part: text}; text outside them is news."""
    own_table = cell.find_parent("table")
    tables = [t for t in cell.find_all("table") if t.find_parent("table") is own_table]
    outside = [
        text
        for text in cell.find_all(string=True)
        if not isinstance(text, Comment) and text.find_parent("table") is own_table
    ]
    if "".join(outside).replace("\xa0", " ").strip():
        message = "beside its table" if tables else "but no table"
        raise LayoutChanged(f"offer cell with text {message}", fragment(str(cell)))
    if not tables:
        return []  # an empty cell: a section with no sessions (or professors) listed
    rows: list[dict[str, str]] = []
    for table in tables:
        for row in _own_rows(table):
            cells = _cells(row)
            if not cells or _blank(row):
                continue
            if len(cells) != len(parts):
                raise LayoutChanged(
                    f"offer nested row with {len(cells)} cells, expected {len(parts)}",
                    fragment(str(row)),
                )
            rows.append({part: _text(c) for part, c in zip(parts, cells, strict=True)})
    return rows


def _session(parts: dict[str, str], row: Tag) -> OfferSession:
    start, end = _hours(parts["hours"], row)
    first_day, last_day = _period(parts.get("period", ""), row)
    return OfferSession(
        number=parts.get("number", ""),
        days=_days(parts["days"], row),
        start=start,
        end=end,
        building=parts.get("building", ""),
        room=parts.get("room", ""),
        first_day=first_day,
        last_day=last_day,
    )


def _days(value: str, row: Tag) -> tuple[Day, ...]:
    """Days as `. M . J . .` (Tuesday, Thursday), read by position; any other letter is news."""
    if not value:
        return ()
    tokens = value.split()
    if len(tokens) != len(DAY_LETTERS):
        raise LayoutChanged(f"offer days {value!r} do not have six positions", fragment(str(row)))
    days = []
    for position, (token, letter) in enumerate(zip(tokens, DAY_LETTERS, strict=True)):
        if token == letter:
            days.append(Day(position))
        elif token != ".":
            raise LayoutChanged(f"offer day letter {token!r} unknown", fragment(str(row)))
    return tuple(days)


def _hours(value: str, row: Tag) -> tuple[time | None, time | None]:
    if not value:
        return None, None
    match = _HOURS.match(value)
    if match is None:
        raise LayoutChanged(f"offer hours {value!r} unknown", fragment(str(row)))
    h1, m1, h2, m2 = (int(group) for group in match.groups())
    try:
        return time(h1, m1), time(h2, m2)
    except ValueError:
        raise LayoutChanged(f"offer hours {value!r} out of range", fragment(str(row))) from None


def _period(value: str, row: Tag) -> tuple[date | None, date | None]:
    """A period as `16/01/25 - 01/06/25`: day/month/two-digit year."""
    if not value:
        return None, None
    match = _PERIOD.match(value)
    if match is not None:
        try:
            return _short_date(match.group(1)), _short_date(match.group(2))
        except ValueError:
            pass
    raise LayoutChanged(f"offer period {value!r} unknown", fragment(str(row)))


def _short_date(value: str) -> date:
    return datetime.strptime(value, "%d/%m/%y").date()


def _integer(value: str, row: Tag) -> int:
    if not _INTEGER.match(value):
        raise LayoutChanged(f"offer number {value!r} unknown", fragment(str(row)))
    return int(value)


def _next_start(soup: BeautifulSoup) -> int | None:
    """`p_start` of a next-page form or link. [inferred] No real page with more
    results than `mostrarp` is public; a 2025 public client posts `p_start` as
    the offset, so a page that pages would carry it."""
    for field in soup.find_all("input", attrs={"name": _name("p_start")}):
        value = _attr(field, "value").strip()
        if value.isdigit():
            return int(value)
    for link in soup.find_all("a", href=True):
        match = _NEXT_START.search(_attr(link, "href"))
        if match:
            return int(match.group(1))
    return None


def _heading(soup: BeautifulSoup) -> str | None:
    heading = soup.find("h1")
    return (_text(heading) or None) if isinstance(heading, Tag) else None


# ---- small helpers ---------------------------------------------------------


def _own_rows(table: Tag) -> list[Tag]:
    """Rows of this table, not of tables nested in its cells (tbody or not)."""
    return [row for row in table.find_all("tr") if row.find_parent("table") is table]


def _cells(row: Tag) -> list[Tag]:
    return [cell for cell in row.find_all(["td", "th"], recursive=False)]


def _blank(row: Tag) -> bool:
    return not _text(row) and row.find("table") is None


def _text(node: Tag) -> str:
    """Text with &nbsp; and runs of whitespace folded to single spaces."""
    return " ".join(node.get_text(" ").replace("\xa0", " ").split())


def _label(cell: Tag) -> str:
    """A header label upper-cased and without accents: "Días" → "DIAS"."""
    decomposed = unicodedata.normalize("NFKD", _text(cell).upper())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))
