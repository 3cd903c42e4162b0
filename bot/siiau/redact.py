"""One redactor for every SIIAU page, or piece of one, that leaves the process.

`python -m bot diagnose --capture`, the captures the bot writes in production
(`SIIAU_CAPTURE_DIR`) and the fragments in operator notices all go through here, so
one set of tests covers them all. In order, it:

1. decodes a page by the charset it declares (the HTTP header, else its `<meta>`):
   the Portal's pages are UTF-8, Escolar's ISO-8859-1 (read as windows-1252, as
   browsers do); nothing declared means windows-1252;
2. learns the values the page reveals: labelled fields (the cell after `NOMBRE` or
   `Nombre:`, a row of `th` labels over a row of values, "Bienvenido(a) …", every
   field of the student block), pidms, the values of form inputs;
3. masks by position every input's value, ViewState, sensitive URL parameters
   (pidm, ticket, token, session, code, NIP), e-mail addresses and runs of 7+ digits
   (codes, pidms); and by value each known or learned value wherever it appears, in
   every form it may take: each letter with or without its accent, raw, as an HTML
   entity (named, decimal, hex) or as UTF-8 misread as windows-1252 (`NUÃ‘EZ`).

What it keeps is the page's shape (tags, names, labels, course rows), which is what
a maintainer needs to fix a parser.
"""

from __future__ import annotations

import codecs
import re
import unicodedata
from collections.abc import Iterable
from html.entities import codepoint2name

from bs4 import BeautifulSoup, Tag

from bot.siiau.errors import SiiauPage

MASK = "[oculto]"
DEFAULT_CHARSET = "cp1252"  # SIIAU declares ISO-8859-1; windows-1252 is its superset
FRAGMENT_LENGTH = 300
_LATIN1 = {
    "iso-8859-1",
    "iso8859-1",
    "iso_8859-1",
    "latin-1",
    "latin1",
    "l1",
    "us-ascii",
    "ascii",
    "cp1252",
    "windows-1252",
}
_HEADER_CHARSET = re.compile(r"""(?i)charset\s*=\s*["']?([\w.:-]+)""")
_META_CHARSET = re.compile(rb"""(?i)<meta\b[^>]*?charset\s*=\s*["']?([\w.:-]+)""")

# Labels whose value says who the student is: masked wherever the value appears.
_IDENTITY_LABELS = (
    "CODIGO",
    "NOMBRE",
    "ALUMNO",
    "ESTUDIANTE",
    "CURP",
    "CORREO",
    "EMAIL",
    "E-MAIL",
    "TELEFONO",
    "MATRICULA",
    "RFC",
    "NSS",
    "PIDM",
    "NIP",
)
_NAME_LABELS = ("NOMBRE", "ALUMNO", "ESTUDIANTE")
# Other fields of the student block: masked where they stand (their text is common elsewhere).
_BLOCK_LABELS = (
    "CARRERA",
    "CENTRO",
    "SITUACION",
    "ULTIMO CICLO",
    "CICLO DE ADMISION",
    "ADMISION",
    "SEDE",
    "PROMEDIO",
    "ESTATUS",
    "NIVEL",
    "GRADO",
    "CAMPUS",
    "TURNO",
)
_STUDENT_BLOCK = "DATOS DEL ESTUDIANTE"
_NAME_PARTICLES = {"DE", "DEL", "LA", "LAS", "LOS", "Y", "VAN", "VON", "DA", "DI", "MC"}
_LABEL_MAX_LENGTH = 40  # a longer cell is text, not a label

_INPUT = re.compile(r"(?is)<input\b[^>]*>")
_INPUT_TYPE = re.compile(r"""(?i)\btype\s*=\s*["']?([a-z]+)""")
_VALUE = re.compile(r"""(?i)(\bvalue\s*=\s*)("[^"]*"|'[^']*'|[^\s>]+)""")
_KEPT_INPUT_TYPES = {
    "submit",
    "button",
    "reset",
    "image",
    "checkbox",
    "radio",
}  # their values are the page's words
_TEXTAREA = re.compile(r"(?is)(<textarea\b[^>]*>)(.*?)(</textarea>)")
_VIEW_STATE_UPDATE = re.compile(r"(?is)(<update\b[^>]*viewstate[^>]*>)(.*?)(</update>)")
_SENSITIVE_PARAMETER = re.compile(
    r"(?i)\b((?:p_)?(?:pidm|ticket|token|sesion|session|sid|codigo|clave|nip|password|viewstate)\w*"
    r"|jsessionid)(=|%3D)([^&\"'\s<>#;,)]+)"
)
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_LONG_DIGITS = re.compile(r"(?<![\w#&])\d{7,}(?!\w)")
_PIDM = re.compile(r"(?i)pidm\w*\W{1,3}(\d{5,})")
_INLINE_LABEL = re.compile(
    r"(?i)^\s*(c[oó]digo|nombre|alumno|estudiante|curp|correo|e-?mail|tel[eé]fono|matr[ií]cula)\s*:\s*(\S.*?)\s*$"
)
# A label and its value in one element's text, the label often in its own <b> ("<b>Nombre:</b>
# SOFIA …", "Alumno(a):", "Código del alumno:"): the value runs to the next "Label:" or the end.
_LABEL_WORDS = r"c[oó]digo|nombre|alumn[oa]|estudiante|curp|correo|e-?mail|tel[eé]fono|matr[ií]cula"
_INLINE_PAIR = re.compile(
    rf"(?i)(?<!\w)({_LABEL_WORDS})(?:\s*\(\s*[oa]\s*\))?"
    r"(?:\s+(?:del|de\s+la|de)\s+(?:alumn[oa]|estudiante)(?:\s*\(\s*[oa]\s*\))?)?\s*:\s*"
    r"(\S.*?)\s*(?=\s[^\W\d_]+(?:\s*\(\s*[oa]\s*\))?(?:\s+[^\W\d_]+){0,3}\s*:|$)"
)
_INLINE_ELEMENTS = (
    "td",
    "th",
    "p",
    "div",
    "li",
    "span",
    "font",
    "center",
    "label",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
)
_INLINE_MAX_LENGTH = 160  # a longer element is a container, not one labelled line
_WELCOME = re.compile(r"(?i)bienvenid[oa](?:\s*\(\s*[oa]\s*\))?\s*[,:]?\s*(\S.*?)\s*[!.]*\s*$")
_SHAPE_ATTRIBUTES = {
    "name",
    "type",
    "action",
    "method",
    "id",
    "class",
    "colspan",
    "rowspan",
    "align",
    "target",
}
_ATTRIBUTE = re.compile(r"""(?i)\b([a-z][\w:-]*)\s*=\s*("[^"]*"|'[^']*'|[^\s>]+)""")
_SPACE = r"(?:\s|&nbsp;|&#160;|&#xa0;)+"


# ---- decoding ------------------------------------------------------------------------------
def charset_of(body: bytes, content_type: str = "") -> str:
    """The codec a page asks for: its HTTP header first, then its `<meta>`; windows-1252 for
    Latin-1 and for pages that say nothing (SIIAU's default)."""
    declared = _HEADER_CHARSET.search(content_type)
    name = declared.group(1) if declared else None
    if name is None:
        meta = _META_CHARSET.search(body[:8192])
        name = meta.group(1).decode("ascii", "replace") if meta else None
    name = (name or "").strip().lower()
    if not name or name in _LATIN1:
        return DEFAULT_CHARSET
    try:
        return codecs.lookup(name).name
    except LookupError:
        return DEFAULT_CHARSET


def decode(body: bytes, content_type: str = "") -> str:
    return body.decode(charset_of(body, content_type), errors="replace")


# ---- the forms one value takes in a page -----------------------------------------------------
def strip_accents(value: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", value) if not unicodedata.combining(c))


def _writings(char: str) -> list[str]:
    """Every way a page may write `char`: itself, as an entity (named, decimal, hex), and as
    its UTF-8 bytes misread as windows-1252 or Latin-1."""
    point = ord(char)
    forms = [char, f"&#{point};", f"&#x{point:x};"]
    if point in codepoint2name:
        forms.append(f"&{codepoint2name[point]};")
    raw = char.encode("utf-8")
    forms += [raw.decode("cp1252", errors="replace"), raw.decode("latin-1")]
    return forms


def _accented() -> dict[str, list[str]]:
    """Base letter → the Latin-1 and Latin Extended-A letters that strip to it (Ñ → N)."""
    table: dict[str, list[str]] = {}
    for point in range(0xC0, 0x180):
        char = chr(point)
        base = strip_accents(char)
        if len(base) == 1 and base.isascii() and base.isalpha() and base != char:
            table.setdefault(base.upper(), []).append(char)
    return table


_ACCENTED = _accented()


def _char_pattern(char: str) -> str:
    """`char` with or without its accent, raw, as an entity or misdecoded (case-insensitive use)."""
    if char == "&":
        return "(?:&|&amp;|&#38;)"
    letters = _ACCENTED.get(char.upper(), []) if char.isalpha() else []
    if not letters:
        return re.escape(char)
    forms = {re.escape(char)} | {
        re.escape(form) for letter in letters for form in _writings(letter)
    }
    return "(?:" + "|".join(sorted(forms, key=len, reverse=True)) + ")"


def _pattern(value: str) -> str:
    """A value as a regex that matches it accented or not, with entities or misdecoded, and with
    any run of spaces (or &nbsp;) between its words."""
    words = strip_accents(value).split()
    return _SPACE.join("".join(_char_pattern(char) for char in word) for word in words)


def _label(text: str) -> str:
    """A cell's text as a label: upper case, no accents, no trailing colon."""
    return " ".join(strip_accents(text).upper().replace("\xa0", " ").split()).rstrip(" :")


def _matches(label: str, labels: Iterable[str]) -> bool:
    return any(label == known or label.startswith(known + " ") for known in labels)


_ALL_LABELS = _IDENTITY_LABELS + _BLOCK_LABELS


def _is_label_cell(cell: Tag, text: str) -> bool:
    """`NOMBRE`, `Nombre:`; a longer label (`NOMBRE DEL ALUMNO`) only as a th or with a colon."""
    label = _label(text)
    if len(text) > _LABEL_MAX_LENGTH:
        return False
    return label in _ALL_LABELS or (
        (cell.name == "th" or text.endswith(":")) and _matches(label, _ALL_LABELS)
    )


def _looks_like_label(text: str) -> bool:
    """A neighbour that is itself a label is not the value of the one before it."""
    return text.endswith(":") or _label(text) in _ALL_LABELS


def _cell_text(cell: Tag) -> str:
    return " ".join(cell.get_text(" ").replace("\xa0", " ").split())


# ---- the redactor -----------------------------------------------------------------------------
class Redactor:
    """Learns what pages reveal, then masks it in each of them (values learned from one page are
    masked in all of them: a run's pages are redacted together)."""

    def __init__(self, known: Iterable[str] = ()) -> None:
        # Masked wherever they appear; shorter values only where they stand (an input's value).
        self._everywhere = {v.strip() for v in known if len(v.strip()) >= 4}
        self._in_place: set[str] = set()

    def learn(self, html: str) -> None:
        self._everywhere.update(_PIDM.findall(html))
        soup = BeautifulSoup(html, "lxml")
        for field in soup.find_all("input"):
            kind = str(field.get("type", "text")).lower()
            value = str(field.get("value", "")).strip()
            if kind not in _KEPT_INPUT_TYPES and len(value) >= 4:
                self._everywhere.add(value)
        for cell in soup.find_all(["td", "th"]):
            text = _cell_text(cell)
            if _is_label_cell(cell, text):
                for value in _labelled_values(cell):
                    self._keep(_label(text), value)
        for element in soup.find_all(_INLINE_ELEMENTS):
            text = _cell_text(element)
            if len(text) <= _INLINE_MAX_LENGTH:
                for pair in _INLINE_PAIR.finditer(text):
                    self._keep(_label(pair.group(1)).replace("ALUMNA", "ALUMNO"), pair.group(2))
        for string in soup.find_all(string=True):
            line = " ".join(str(string).split())
            inline = _INLINE_LABEL.match(line)
            if inline:
                self._keep(_label(inline.group(1)), inline.group(2))
            welcome = _WELCOME.search(line)
            if welcome:
                self._keep("NOMBRE", welcome.group(1))
        for table in soup.find_all("table"):
            title = table.find(["th", "td"])
            if title is not None and _label(_cell_text(title)) == _STUDENT_BLOCK:
                for cell in table.find_all("td"):
                    text = _cell_text(cell)
                    if text and not _looks_like_label(text):
                        self._in_place.add(text)

    def _keep(self, label: str, value: str) -> None:
        value = " ".join(value.split())
        if not value or value == MASK or _label(value) in _ALL_LABELS:
            return
        self._in_place.add(value)
        if not _matches(label, _IDENTITY_LABELS):
            return
        if len(value) >= 4:
            self._everywhere.add(value)
        if _matches(label, _NAME_LABELS):
            words = (
                w
                for w in re.split(r"[\s,]+", value)
                if len(w) >= 3 and w.upper() not in _NAME_PARTICLES
            )
            self._everywhere.update(words)

    def redact(self, html: str) -> str:
        html = _INPUT.sub(_mask_input, html)
        html = _TEXTAREA.sub(lambda m: m.group(1) + MASK + m.group(3), html)
        html = _VIEW_STATE_UPDATE.sub(lambda m: m.group(1) + MASK + m.group(3), html)
        html = _SENSITIVE_PARAMETER.sub(lambda m: f"{m.group(1)}{m.group(2)}{MASK}", html)
        html = _EMAIL.sub(MASK, html)
        in_place = _alternation(self._in_place | self._everywhere)
        if in_place:
            html = re.sub(
                rf"(?i)(>\s*)(?:{in_place})(\s*<)", lambda m: m.group(1) + MASK + m.group(2), html
            )
        everywhere = _alternation(self._everywhere)
        if everywhere:
            html = re.sub(rf"(?i)(?<!\w)(?:{everywhere})(?!\w)", MASK, html)
        return _LONG_DIGITS.sub(MASK, html)


def _labelled_values(cell: Tag) -> list[str]:
    """What a label cell names: the next cell in its row ("NOMBRE:" | value), or, for a
    row of labels (th) over a row of values, the cell below it."""
    values = []
    following = cell.find_next_sibling(["td", "th"])
    if following is not None:
        text = _cell_text(following)
        if text and not _looks_like_label(text):
            values.append(text)
    row = cell.find_parent("tr")
    below = row.find_next_sibling("tr") if row is not None else None
    if row is not None and below is not None:
        position = (
            row.find_all(["td", "th"], recursive=False).index(cell) if cell.parent is row else -1
        )
        cells = below.find_all(["td", "th"], recursive=False)
        if 0 <= position < len(cells):
            text = _cell_text(cells[position])
            if text and not _looks_like_label(text):
                values.append(text)
    return values


def _alternation(values: Iterable[str]) -> str:
    forms = sorted(
        {" ".join(value.split()) for value in values} - {MASK, ""}, key=len, reverse=True
    )
    return "|".join(_pattern(form) for form in forms)


def _mask_input(match: re.Match[str]) -> str:
    tag = match.group(0)
    kind = _INPUT_TYPE.search(tag)
    if kind is not None and kind.group(1).lower() in _KEPT_INPUT_TYPES:
        return tag
    return _VALUE.sub(lambda m: f'{m.group(1)}"{MASK}"', tag)


# ---- entry points -------------------------------------------------------------------------------
def redact_page(page: SiiauPage, known: Iterable[str] = ()) -> str:
    """One page, decoded by its charset and redacted on its own (a production capture)."""
    return redact_pages([page], known)[0]


def redact_pages(pages: list[SiiauPage], known: Iterable[str] = ()) -> list[str]:
    """A run's pages (`diagnose --capture`): what any of them reveals is masked in all."""
    texts = [decode(page.body, page.content_type) for page in pages]
    redactor = Redactor(known)
    for text in texts:
        redactor.learn(text)
    return [redactor.redact(text) for text in texts]


def redacted(page: SiiauPage, known: Iterable[str] = ()) -> SiiauPage:
    """The page redacted, as UTF-8: what an error carries, so nothing personal lingers on it."""
    return SiiauPage(
        page.method,
        page.path,
        page.status,
        redact_page(page, known).encode("utf-8"),
        "text/html; charset=utf-8",
    )


def fragment(html: str, secrets: Iterable[str] = ()) -> str:
    """A short excerpt for an operator notice: the redacted page's shape, every attribute value
    masked except the few that name its parts, and runs of 4+ digits."""
    redactor = Redactor(secrets)
    redactor.learn(html)
    masked = redactor.redact(html)

    def mask(match: re.Match[str]) -> str:
        name = match.group(1)
        return match.group(0) if name.lower() in _SHAPE_ATTRIBUTES else f"{name}=…"

    masked = _ATTRIBUTE.sub(mask, masked)
    masked = re.sub(r"\d{4,}", "…", masked)
    return " ".join(masked.split())[:FRAGMENT_LENGTH]
