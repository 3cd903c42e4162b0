"""The second schedule source: REGISTRO → "Lista" joined by NRC with the student's offer.

When the schedule page (`sgpregi.horario`/`sfpcoal.horario`) is missing or not one we
know, the client walks the ALUMNOS menu to REGISTRO → "Lista" (NRC, CLAVE, MATERIA,
CREDITOS) and asks the student's offer (`sgpofer.secciones` → `sspseca.consulta_oferta`)
for each clave of the list; sessions, rooms and professors come from the offer, whose
layout is the one we hold real samples of (PROTOCOL.md, "A second source for the
schedule"). A listed course with no section in the offer is `CourseNotInOffer`: the
schedule is refused rather than delivered without it.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from bs4 import BeautifulSoup, Tag

from bot.schedule.model import Course, Schedule, Session
from bot.siiau.errors import CourseNotInOffer, LayoutChanged
from bot.siiau.offer import Cycle, OfferSection, StudentOfferForm
from bot.siiau.pages import fragment
from bot.siiau.schedule_page import _split_career, _student_data, text

LIST_HEADER = ("NRC", "CLAVE", "MATERIA", "CREDITOS")
_NRC = re.compile(r"^\d{4,}$")
_LIST_CYCLE = re.compile(r"\bciclo\s*:?\s*(\d{4}[0-9A-Z]0?)\b", re.IGNORECASE)
# Links written as javascript: `openWin('url')`, `window.open("url")`, `location.href='url'`.
_JS_URL = re.compile(
    r"""(?:openWin|window\.open)\(\s*['"]([^'"]+)['"]|location\.href\s*=\s*['"]([^'"]+)['"]""", re.I
)
_TERM_LETTERS = {"10": "A", "20": "B", "80": "VERANO"}


@dataclass(frozen=True, slots=True)
class ListedCourse:
    nrc: str
    key: str
    name: str
    credits: int | None


@dataclass(frozen=True, slots=True)
class RegistrationList:
    courses: tuple[ListedCourse, ...]
    cycle: str | None  # when the page names it ("... ciclo 202520")
    student: dict[str, str] = field(default_factory=dict)  # the DATOS DEL ESTUDIANTE block, if any


def _plain(value: str) -> str:
    decomposed = unicodedata.normalize("NFKD", value.upper())
    return (
        "".join(ch for ch in decomposed if not unicodedata.combining(ch)).strip().removesuffix(":")
    )


def link(html: str, label: str, career: str = "") -> str:
    """The target of the link whose text is `label` (else contains it), case and accents
    ignored; a `majrp=` in it is set to `career`, as a browser with that career chosen would."""
    wanted = _plain(label)
    anchors = [a for a in BeautifulSoup(html, "lxml").find_all("a") if isinstance(a, Tag)]
    found = next((a for a in anchors if _plain(text(a)) == wanted), None) or next(
        (a for a in anchors if wanted in _plain(text(a))), None
    )
    target = ""
    if found is not None:
        href = str(found.get("href", "")).strip()
        script = href if href.lower().startswith("javascript:") else str(found.get("onclick", ""))
        target = href if href and not href.lower().startswith("javascript:") else ""
        if not target:
            match = _JS_URL.search(script)
            target = (match.group(1) or match.group(2)) if match else ""
    if not target:
        raise LayoutChanged(f"link {label} not found", fragment(html), marker=f"a «{label}»")
    return _with_career(target, career) if career else target


def _with_career(url: str, career: str) -> str:
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    if not any(name.lower() == "majrp" for name, _ in query):
        return url
    query = [(name, career if name.lower() == "majrp" else value) for name, value in query]
    return urlunsplit(parts._replace(query=urlencode(query)))


def parse_registration_list(html: str) -> RegistrationList:
    """The Lista table, found by its header cells; rows with a 4+ digit NRC are courses.

    A row with every column whose NRC is not a number is a changed layout, never a
    skipped course; shorter rows (a total, a note across columns) are not courses.
    """
    soup = BeautifulSoup(html, "lxml")
    for table in soup.find_all("table"):
        rows = [row for row in table.find_all("tr") if row.find_parent("table") is table]
        for index, row in enumerate(rows):
            labels = [_plain(text(cell)) for cell in row.find_all(["th", "td"], recursive=False)]
            if all(label in labels for label in LIST_HEADER):
                columns = {label: labels.index(label) for label in LIST_HEADER}
                courses = tuple(_listed(r, columns, len(labels)) for r in rows[index + 1 :])
                cycle = _LIST_CYCLE.search(text(soup))
                return RegistrationList(
                    courses=tuple(c for c in courses if c is not None),
                    cycle=cycle.group(1) if cycle else None,
                    student=_student_data(soup),
                )
    raise LayoutChanged(
        "registration list not found",
        fragment(html),
        marker="table NRC · CLAVE · MATERIA · CREDITOS",
    )


def _listed(row: Tag, columns: dict[str, int], width: int) -> ListedCourse | None:
    cells = [text(cell) for cell in row.find_all(["td", "th"], recursive=False)]
    if len(cells) < width or not any(cells):
        return None
    nrc, key, name, credits = (cells[columns[label]] for label in LIST_HEADER)
    if not _NRC.match(nrc) or not key or not name:
        raise LayoutChanged(
            "registration list row without NRC, clave or course",
            fragment(str(row)),
            marker="NRC of 4+ digits, CLAVE, MATERIA",
        )
    if credits and not credits.isdigit():
        raise LayoutChanged(
            f"registration list credits {credits!r}", fragment(str(row)), marker="CREDITOS digits"
        )
    return ListedCourse(nrc=nrc, key=key, name=name, credits=int(credits) if credits else None)


def choose_cycle(form: StudentOfferForm, wanted: str | None, listed: str | None) -> str:
    """The cycle asked for, else the one the list names, else the form's SELECTED one,
    else the newest regular cycle (A or B) it offers."""
    codes = [c.code for c in form.cycles]
    for candidate in (wanted, listed, form.selected_cycle):
        if candidate and candidate in codes:
            return candidate
    if wanted:
        raise LayoutChanged(f"the offer has no cycle {wanted}", marker="select[name=ciclop] option")
    regular = [c.code for c in form.cycles if Cycle(c.code, c.name).regular]
    return max(regular) if regular else codes[0]


def term_label(cycle: str) -> str:
    """ "202520" → "2025-B", as the schedule page titles it; other codes stay as they are."""
    letter = _TERM_LETTERS.get(cycle[4:]) if re.fullmatch(r"\d{6}", cycle) else None
    return f"{cycle[:4]}-{letter}" if letter else cycle


@dataclass(frozen=True, slots=True)
class RegistroSchedulePage:
    """The registration list and the offer's sections for its claves, read in the session;
    `schedule()` joins them by NRC."""

    listed: RegistrationList
    sections: tuple[OfferSection, ...]
    career: str
    cycle: str
    student_code: str = ""

    def schedule(self) -> Schedule:
        by_nrc = {section.nrc: section for section in self.sections}
        missing = [c for c in self.listed.courses if c.nrc not in by_nrc]
        if missing:
            missing_error = CourseNotInOffer(
                f"{len(missing)} course(s) of the registration list are not in the offer: "
                + ", ".join(f"{c.key} NRC {c.nrc}" for c in missing),
                marker="every NRC of the Lista in sspseca.consulta_oferta",
            )
            missing_error.step = "registro · join"
            raise missing_error
        courses = []
        for listed in self.listed.courses:
            section = by_nrc[listed.nrc]
            if section.key.upper() != listed.key.upper():
                error = LayoutChanged(
                    f"NRC {listed.nrc} is {listed.key} in the list but {section.key} in the offer",
                    marker="the same CLAVE for an NRC",
                )
                error.step = "registro · join"
                raise error
            offered = section.to_course()
            courses.append(
                Course(
                    nrc=listed.nrc,
                    key=listed.key,
                    name=listed.name,
                    section=section.section,
                    credits=listed.credits if listed.credits is not None else section.credits,
                    sessions=offered.sessions or (Session((), None, None, "", "", "", None, None),),
                )
            )
        student = self.listed.student
        career_name, career_code = _split_career(student.get("CARRERA", ""), self.career)
        return Schedule(
            term=self.cycle,
            term_label=term_label(self.cycle),
            student_name=student.get("NOMBRE", ""),
            student_code=student.get("CODIGO", "") or self.student_code,
            career=career_code,
            career_name=career_name,
            courses=tuple(courses),
        )
