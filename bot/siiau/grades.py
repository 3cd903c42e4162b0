"""SIIAU's grade pages → `bot.schedule.grades`: the kárdex, the promedio and the boleta.

No real page is public (PROTOCOL.md, "Grades: the kárdex and the boleta"), so pages are
recognised by their header text ("Nombre de la materia", "Boleta de calificaciones",
`PROMEDIO`) and columns by their header text; the documented column order is used only on a
recognised page with no header row. Anything else is `LayoutChanged` with an excerpt for the
operator. A page showing `Encuestas</b>` is the survey SIIAU puts before grades.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from datetime import date

from bs4 import BeautifulSoup, Tag

from bot.schedule.grades import (
    Boleta,
    BoletaRow,
    Grade,
    GradeKind,
    Kardex,
    KardexCycle,
    KardexRow,
    Promedio,
)
from bot.siiau.errors import LayoutChanged, SurveyPending
from bot.siiau.pages import fragment

KARDEX_MARKER = "NOMBRE DE LA MATERIA"
BOLETA_MARKER = "BOLETA DE CALIFICACIONES"
_SURVEY = re.compile(r"encuestas\s*</b>", re.IGNORECASE)
_CYCLE = re.compile(r"^CALENDARIO\s+(\S.*)$")
_NRC = re.compile(r"^\d{4,7}$")
# `97 (NOVENTA Y SIETE)`, `SD (SIN DERECHO)`, a bare `95`, `NA`.
_GRADE = re.compile(
    r"^([0-9]{1,3}(?:\.[0-9]+)?|[A-Z]{1,3}|(?:NO )?(?:ACREDITAD[OA]|APROBAD[OA])|REPROBAD[OA])"
    r"\s*(?:\(\s*([^)]*?)\s*\))?$"
)
_MONTHS = {
    "ENE": 1,
    "FEB": 2,
    "MAR": 3,
    "ABR": 4,
    "MAY": 5,
    "JUN": 6,
    "JUL": 7,
    "AGO": 8,
    "SEP": 9,
    "SET": 9,
    "OCT": 10,
    "NOV": 11,
    "DIC": 12,
}
_DATE_WORDS = re.compile(r"^(\d{1,2})[/-]([A-Z]{3})[A-Z]*[/-](\d{2,4})$")
_DATE_DIGITS = re.compile(r"^(\d{1,2})[/-](\d{1,2})[/-](\d{4})$")
_FAILING_WORDS = {"SD", "NA", "NP"}  # sin derecho, no acreditada, no presentó
_RED = re.compile(r"red|#?f00\b|#?ff0000", re.IGNORECASE)
_YES = {"SI", "S", "X", "✓", "✔", "YES", "1"}

# Kárdex columns by meaning: header words (accents and case folded) → field.
_KARDEX_COLUMNS: tuple[tuple[str, Callable[[str], bool]], ...] = (
    ("nrc", lambda h: _is_nrc(h)),
    ("clave", lambda h: h in ("CLAVE", "CVE") or h.startswith("CLAVE")),
    ("name", lambda h: "MATERIA" in h or h.startswith("NOMBRE") or h == "ASIGNATURA"),
    ("grade", lambda h: h.startswith("CALIF")),
    ("kind", lambda h: h.startswith("TIPO")),
    ("credits", lambda h: h.startswith("CRED") or h in ("NC", "CR")),
    ("date", lambda h: h.startswith("FECHA")),
)


def _is_nrc(heading: str) -> bool:
    """The NRC column: "NRC", "N.R.C." or "N R C"."""
    return heading.replace(".", "").replace(" ", "") == "NRC"


KARDEX_ORDER = ("nrc", "clave", "name", "grade", "kind", "credits", "date")  # PROTOCOL.md's order


def plain(value: str) -> str:
    """Upper case, accents gone, spaces folded: how headers are compared."""
    decomposed = unicodedata.normalize("NFKD", value.replace("\xa0", " ").upper())
    folded = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(folded.split()).strip(" :")


def cell_text(cell: Tag) -> str:
    return " ".join(cell.get_text(" ").replace("\xa0", " ").split())


def survey_shown(html: str) -> bool:
    return _SURVEY.search(html) is not None


def check_survey(html: str) -> None:
    """Raise `SurveyPending` for a page showing `Encuestas</b>`. Asked only of a page that did
    not read as what was asked for: a grade page with an Encuestas link beside it is the page."""
    if survey_shown(html):
        raise SurveyPending("SIIAU asks the student to answer its teacher survey first")


def _cells(row: Tag) -> list[Tag]:
    return [c for c in row.find_all(["td", "th"], recursive=False)]


def _expanded(row: Tag) -> list[Tag | None]:
    """The row's cells, a `COLSPAN="3"` cell standing for three (None for the covered ones)."""
    out: list[Tag | None] = []
    for cell in _cells(row):
        out.append(cell)
        span = str(cell.get("colspan", "1")).strip()
        out.extend([None] * (min(int(span), 20) - 1 if span.isdigit() and int(span) > 1 else 0))
    return out


def _rows(table: Tag) -> list[Tag]:
    """The table's own rows (through tbody/thead), not those of tables nested in it."""
    return [tr for tr in table.find_all("tr") if tr.find_parent("table") is table]


def _header_map(
    cells: list[Tag | None], columns: tuple[tuple[str, Callable[[str], bool]], ...]
) -> dict[str, int] | None:
    """Field → column index when this row is a header naming NRC and a grade; else None."""
    found: dict[str, int] = {}
    for index, cell in enumerate(cells):
        if cell is None:
            continue
        heading = plain(cell_text(cell))
        for name, matches in columns:
            if name not in found and matches(heading):
                found[name] = index
                break
    return found if "nrc" in found and "grade" in found else None


def parse_grade(cell: Tag | None) -> Grade | None:
    """A grade cell; None when empty (not posted yet). Raises ValueError on a shape we don't know."""
    if cell is None:
        return None
    raw = cell_text(cell)
    value_text = plain(raw)
    if value_text in ("", "-", "--", "N/A", "S/C", "SIN CALIFICACION", "PENDIENTE"):
        return None
    match = _GRADE.match(value_text)
    if match is None:
        raise ValueError(f"grade {value_text[:20]!r}")
    value, words = match.group(1), (match.group(2) or "").strip()
    red = any(
        _RED.search(str(tag.get("color", "")) + str(tag.get("style", "")))
        for tag in [cell, *cell.find_all(True)]
    )
    failing = (
        red
        or value in _FAILING_WORDS
        or value.startswith(("NO ", "REPROB"))
        or (value.replace(".", "", 1).isdigit() and float(value) < 60)
    )
    return Grade(value, words, failing)


def parse_kind(label: str) -> GradeKind:
    folded = plain(label)
    if "EXTRA" in folded:
        return GradeKind.EXTRAORDINARIO
    if "ORDINARIO" in folded or folded in ("OE", "O"):
        return GradeKind.ORDINARIO
    return GradeKind.OTHER


def parse_date(value: str) -> date | None:
    folded = plain(value).replace(" ", "")
    words = _DATE_WORDS.match(folded)
    try:
        if words and words.group(2) in _MONTHS:
            year = int(words.group(3))
            return date(
                year + 2000 if year < 100 else year, _MONTHS[words.group(2)], int(words.group(1))
            )
        digits = _DATE_DIGITS.match(folded)
        if digits:
            return date(int(digits.group(3)), int(digits.group(2)), int(digits.group(1)))
    except ValueError:
        return None
    return None


def _credits(value: str) -> int | None:
    digits = re.sub(r"\D", "", value)
    return int(digits) if digits and len(digits) <= 4 else None


# ---- kárdex ---------------------------------------------------------------------------
def parse_kardex(html: str) -> Kardex:
    try:
        return _kardex(html)
    except LayoutChanged as error:
        check_survey(html)
        error.step = error.step or "kardex page"
        raise


def _kardex(html: str) -> Kardex:
    soup = BeautifulSoup(html, "lxml")
    container = soup.find(id=re.compile("^leyendaPromedio$", re.I))
    tables = [t for t in (container or soup).find_all("table") if isinstance(t, Tag)]
    table = next((t for t in tables if _has_cycles(t)), None)
    if table is None:
        if KARDEX_MARKER not in plain(soup.get_text(" ")):
            raise LayoutChanged(
                "kardex page not recognised", fragment(html), marker="Nombre de la materia"
            )
        if not any(_header_map(_expanded(r), _KARDEX_COLUMNS) for t in tables for r in _rows(t)):
            raise LayoutChanged(
                "kardex table not found", fragment(html), marker="Calendario … rows"
            )
        headed = [
            t for t in tables if any(_header_map(_expanded(r), _KARDEX_COLUMNS) for r in _rows(t))
        ]
        if _has_subjects(headed):  # subjects we can't file under a cycle: never an empty kárdex
            raise LayoutChanged(
                "kardex subjects without a Calendario row", fragment(html), marker="Calendario …"
            )
        # A first-cycle student: nothing yet (the headed table is the empty kárdex, not a total).
        return Kardex((), *_credit_lines(soup, container, headed[0] if headed else None))
    cycles: list[KardexCycle] = []
    label: str | None = None
    rows: list[KardexRow] = []
    columns: dict[str, int] | None = None
    for tr in _rows(table):
        cells = _expanded(tr)
        texts = [plain(cell_text(c)) if c is not None else "" for c in cells]
        filled = [t for t in texts if t]
        opens = _opens_cycle(filled)
        if opens is not None:
            if label is not None:
                cycles.append(KardexCycle(label, tuple(rows)))
            label, rows = "Calendario " + opens.group(1), []
            continue
        header = _header_map(cells, _KARDEX_COLUMNS)
        if header is not None:
            if len(header) < 6:
                raise LayoutChanged(
                    "kardex header lacks columns we read", fragment(str(tr)), marker="NRC … FECHA"
                )
            columns = header
            continue
        if not filled:
            continue
        row = _kardex_row(tr, cells, columns, rows)
        if row is None:
            continue
        if label is None:
            raise LayoutChanged(
                "kardex subject before any Calendario row", fragment(str(tr)), marker="Calendario …"
            )
        rows.append(row)
    if label is not None:
        cycles.append(KardexCycle(label, tuple(rows)))
    return Kardex(tuple(cycles), *_credit_lines(soup, container, table))


def _opens_cycle(filled: list[str]) -> re.Match[str] | None:
    """`Calendario 17 B` as a row's first text, alone or with a note beside it (never an NRC)."""
    opens = _CYCLE.match(filled[0]) if filled else None
    return opens if opens is not None and not any(_NRC.match(t) for t in filled) else None


def _filled(tr: Tag) -> list[str]:
    return [t for t in (plain(cell_text(c)) for c in _cells(tr)) if t]


def _has_cycles(table: Tag) -> bool:
    return any(_opens_cycle(_filled(tr)) for tr in _rows(table))


def _has_subjects(tables: list[Tag]) -> bool:
    """A row that reads like a subject: an NRC and a grade among its cells."""
    return any(
        any(_NRC.match(t) for t in filled) and any(_GRADE.match(t) for t in filled[1:])
        for table in tables
        for tr in _rows(table)
        if (filled := _filled(tr))
    )


def _kardex_row(
    tr: Tag, cells: list[Tag | None], columns: dict[str, int] | None, done: list[KardexRow]
) -> KardexRow | None:
    """A subject row, an extraordinario row (the previous subject again), or None for a row that
    carries no grade (totals, notes). A row that looks like a subject but doesn't read is
    `LayoutChanged`."""
    at = columns or {name: index for index, name in enumerate(KARDEX_ORDER)}
    width = max(at.values()) + 1

    def get(name: str) -> Tag | None:
        index = at.get(name)
        return cells[index] if index is not None and index < len(cells) else None

    def text_of(name: str) -> str:
        return cell_text(c) if (c := get(name)) is not None else ""

    first = _cells(tr)[0]
    grade_text = plain(text_of("grade"))
    # An extraordinario: `<TD COLSPAN="3"></TD>`, or three empty cells, where NRC, clave and
    # name would be, then a grade.
    extraordinario = (
        str(first.get("colspan", "")).strip() in ("2", "3") and not cell_text(first)
    ) or (bool(grade_text) and not any(text_of(n) for n in ("nrc", "clave", "name")))
    nrc = text_of("nrc")
    if not extraordinario and not _NRC.match(nrc):
        looks_like_subject = bool(text_of("clave") or text_of("name")) and (
            _GRADE.match(grade_text) is not None
            or any(_GRADE.match(plain(cell_text(c))) for c in cells[3:4] if c is not None)
        )
        if len(cells) >= width and looks_like_subject:
            raise LayoutChanged("kardex row without an NRC", fragment(str(tr)), marker="NRC")
        return None
    if len(cells) < width:
        raise LayoutChanged(
            f"kardex row of {len(cells)} cells, {width} expected",
            fragment(str(tr)),
            marker="7 cells",
        )
    try:
        grade = parse_grade(get("grade"))
    except ValueError:
        raise LayoutChanged(
            "kardex grade not readable", fragment(str(tr)), marker="97 (NOVENTA Y SIETE)"
        ) from None
    if grade is None:
        raise LayoutChanged("kardex row without a grade", fragment(str(tr)), marker="CALIFICACION")
    kind_label = cell_text(c) if (c := get("kind")) is not None else ""
    credits_text = cell_text(c) if (c := get("credits")) is not None else ""
    date_text = cell_text(c) if (c := get("date")) is not None else ""
    if extraordinario:
        if not done:
            raise LayoutChanged(
                "extraordinario row with no subject before it", fragment(str(tr)), marker="NRC"
            )
        previous = done[-1]
        nrc, clave, name = previous.nrc, previous.clave, previous.name
        kind = parse_kind(kind_label) if kind_label else GradeKind.EXTRAORDINARIO
        if kind is GradeKind.OTHER:
            kind = GradeKind.EXTRAORDINARIO
    else:
        clave = cell_text(c) if (c := get("clave")) is not None else ""
        name = cell_text(c) if (c := get("name")) is not None else ""
        kind = parse_kind(kind_label)
    return KardexRow(
        nrc,
        clave,
        name,
        grade,
        kind,
        kind_label,
        _credits(credits_text),
        parse_date(date_text),
        date_text,
    )


def _credit_lines(
    soup: BeautifulSoup, container: Tag | None, kardex_table: Tag | None
) -> tuple[tuple[str, ...], str]:
    """The credit totals (the tables after the kárdex's in `#leyendaPromedio`) as text lines, and
    the missing credits (`#creditosFaltantesID`)."""
    missing_tag = soup.find(id=re.compile("^creditosFaltantesID$", re.I))
    missing = cell_text(missing_tag) if isinstance(missing_tag, Tag) else ""
    lines: list[str] = []
    if container is not None:
        for table in container.find_all("table"):
            if (
                table is kardex_table
                or not isinstance(table, Tag)
                or table.find_parent("table") is not None
                or any(inner is kardex_table for inner in table.find_all("table"))
            ):
                continue  # the kárdex, a table inside another, or a layout table around the kárdex
            for tr in _rows(table):
                line = " ".join(cell_text(c) for c in _cells(tr) if cell_text(c))
                if line and line not in lines:
                    lines.append(line)
    return tuple(lines[:20]), missing


# ---- promedio ---------------------------------------------------------------------------
_PROMEDIO_LABELS = {
    "situacion": "SITUACION",
    "carrera": "CARRERA",
    "centro": "CENTRO",
    "sede": "SEDE",
}


def parse_promedio(html: str) -> Promedio:
    soup = BeautifulSoup(html, "lxml")
    promedio = _labelled(soup, "PROMEDIO", _AVERAGE) or _labelled(
        soup, "PROMEDIO GENERAL", _AVERAGE
    )
    if not promedio:
        check_survey(html)
        error = LayoutChanged("promedio not found", fragment(html), marker="PROMEDIO <FONT>…")
        error.step = "promedio page"
        raise error
    return Promedio(
        promedio, **{field: _labelled(soup, label) for field, label in _PROMEDIO_LABELS.items()}
    )


_AVERAGE = re.compile(r"^\d{1,3}(?:[.,]\d+)?(?:\s|$)")  # "87.53", "87.53 (OCHENTA Y SIETE…)"
_ANY = re.compile(r".")


def _labelled(soup: BeautifulSoup, label: str, valid: re.Pattern[str] = _ANY) -> str:
    """The value after a label (the first that is `valid`): a `<FONT>` after it in its own cell,
    else the next cell of its row, else, with no cell beside it, the next `<FONT>` on the page.
    A value cell left empty is empty: never the value of the label after it."""
    for node in soup.find_all(string=True):
        parent = node.parent
        if (
            parent is None
            or plain(str(node)) != label
            or parent.name in ("title", "script", "head")
        ):
            continue
        cell = parent if parent.name in ("td", "th") else parent.find_parent(["td", "th"])
        for font in node.find_all_next("font") if cell is not None else ():
            if not any(ancestor is cell for ancestor in font.parents):
                break
            if _value(font, label, valid):
                return cell_text(font)
        following = cell.find_next_sibling(["td", "th"]) if cell is not None else None
        if isinstance(following, Tag):
            value = cell_text(following)
            if valid.match(value):
                return value
            continue
        after = parent.find_next("font")
        if isinstance(after, Tag) and _value(after, label, valid):
            return cell_text(after)
    return ""


def _value(font: Tag, label: str, valid: re.Pattern[str]) -> bool:
    value = cell_text(font)
    return (
        bool(value)
        and plain(value) != label
        and not value.endswith(":")
        and bool(valid.match(value))
    )


# ---- boleta ---------------------------------------------------------------------------
def parse_boleta(html: str) -> Boleta:
    try:
        return _boleta(html)
    except LayoutChanged as error:
        check_survey(html)
        error.step = error.step or "boleta page"
        raise


def _boleta(html: str) -> Boleta:
    soup = BeautifulSoup(html, "lxml")
    if BOLETA_MARKER not in plain(soup.get_text(" ")):
        raise LayoutChanged(
            "boleta page not recognised", fragment(html), marker="Boleta de calificaciones"
        )
    for table in soup.find_all("table"):
        if not isinstance(table, Tag) or table.find("table") is not None:
            continue  # innermost tables only: a layout table around the boleta is not it
        rows = _rows(table)
        for at, tr in enumerate(rows):
            columns = _boleta_columns(_expanded(tr))
            if columns is not None:
                # A two-row header (ORDINARIO over CALIFICACIÓN | EN KÁRDEX): its last row names
                # every column.
                while at + 1 < len(rows) and (more := _boleta_columns(_expanded(rows[at + 1]))):
                    columns, at = more, at + 1
                return Boleta(tuple(_boleta_rows(rows[at + 1 :], columns)))
    raise LayoutChanged(
        "boleta table not found",
        fragment(html),
        marker="NRC | … | CALIFICACION ORDINARIA | EN KARDEX",
    )


def _boleta_columns(cells: list[Tag | None]) -> dict[str, int] | None:
    """Columns of the boleta's header row: nrc, clave, name, ord, ord_k, ext, ext_k."""
    headings = [plain(cell_text(c)) if c is not None else "" for c in cells]
    nrc = next((index for index, h in enumerate(headings) if _is_nrc(h)), None)
    if nrc is None or not any(_grade_heading(h) for h in headings):
        return None
    found: dict[str, int] = {"nrc": nrc}
    grade_columns: list[int] = []
    for index, heading in enumerate(headings):
        if heading.startswith("CLAVE") or heading == "CVE":
            found.setdefault("clave", index)
        elif "MATERIA" in heading or heading.startswith("NOMBRE") or heading == "ASIGNATURA":
            found.setdefault("name", index)
        elif _grade_heading(heading):
            grade_columns.append(index)
        elif "KARDEX" in heading and grade_columns:
            kind = (
                "ext" if len(grade_columns) > 1 or "EXTRA" in headings[grade_columns[-1]] else "ord"
            )
            found.setdefault(f"{kind}_k", index)
    for index in grade_columns:
        kind = "ext" if "EXTRA" in headings[index] else "ord"
        if kind in found:
            kind = "ext"
        found.setdefault(kind, index)
    if "ord" not in found:
        raise LayoutChanged(
            "boleta header without an ordinaria",
            fragment(" | ".join(headings)),
            marker="CALIFICACION ORDINARIA",
        )
    return found


def _grade_heading(heading: str) -> bool:
    """A grade column: "CALIFICACIÓN ORDINARIA", "CALIFICACIÓN", "ORDINARIA", "EXTRAORDINARIO"."""
    return heading.startswith("CALIF") or "ORDINARI" in heading


def _boleta_rows(rows: list[Tag], at: dict[str, int]) -> list[BoletaRow]:
    found: list[BoletaRow] = []
    # Cells up to the ordinaria must be there; empty ones after it may be left out (valid HTML).
    width = max(index for name, index in at.items() if name in ("nrc", "clave", "name", "ord")) + 1
    for tr in rows:
        cells = _expanded(tr)

        def get(name: str) -> Tag | None:
            index = at.get(name)
            return cells[index] if index is not None and index < len(cells) else None  # noqa: B023

        nrc = cell_text(c) if (c := get("nrc")) is not None else ""
        if not _NRC.match(nrc):
            named = any(cell_text(c) for key in ("clave", "name") if (c := get(key)) is not None)
            if named and len(cells) >= width:  # a subject whose NRC we can't read: never dropped
                raise LayoutChanged("boleta row without an NRC", fragment(str(tr)), marker="NRC")
            continue  # a title or a note, not a subject
        if len(cells) < width:
            raise LayoutChanged(
                f"boleta row of {len(cells)} cells, {width} expected",
                fragment(str(tr)),
                marker="7 cells",
            )
        try:
            ordinaria, extraordinaria = parse_grade(get("ord")), parse_grade(get("ext"))
        except ValueError:
            raise LayoutChanged(
                "boleta grade not readable", fragment(str(tr)), marker="CALIFICACION"
            ) from None
        found.append(
            BoletaRow(
                nrc,
                cell_text(c) if (c := get("clave")) is not None else "",
                cell_text(c) if (c := get("name")) is not None else "",
                ordinaria,
                _yes(get("ord_k")),
                extraordinaria,
                _yes(get("ext_k")),
            )
        )
    return found


def _yes(cell: Tag | None) -> bool:
    return cell is not None and plain(cell_text(cell)) in _YES
