"""`/armar`'s words → a typed request, and the options as filters on sections.

Grammar (Spanish, any order): claves (normalised as in /cupos), a bare centre code
(one or two letters), `desde H`, `hasta H`, `sin DÍA…` (lunes…sabado, accents
optional, or the letters L M I J V S), `con cupo`, `con mi horario`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from bot.services.offer.cupos import CLAVE, NRC, normalise
from bot.services.planner.search import Candidate, Meeting
from bot.siiau.offer import OfferSection

MAX_CLAVES = 10
# A centre's code: a letter ("D"), or a digit for the newer centres (3 Tlajomulco, 4
# Guadalajara, 5 Tlaquepaque, 6 Chapala, in the real offer form); two letters allowed.
CENTRE = re.compile(r"^(?:[A-Z0-9]|[A-Z]{2})$")
HOUR = re.compile(r"^(\d{1,2})(?::00|H)?$")
DAY_WORDS = {"LUNES": 0, "MARTES": 1, "MIERCOLES": 2, "JUEVES": 3, "VIERNES": 4, "SABADO": 5}
DAY_LETTERS = {"L": 0, "M": 1, "I": 2, "J": 3, "V": 4, "S": 5}
OPTION_ORDER = (
    "desde",
    "hasta",
    "sin",
    "cupo",
)  # the order options are applied in, for "which one emptied it"


class RequestError(Exception):
    """Bad words in the command: a short answer and no search."""


class NoClaves(RequestError):
    pass


class TooManyClaves(RequestError):
    pass


class RepeatedClave(RequestError):
    def __init__(self, clave: str) -> None:
        super().__init__(clave)
        self.clave = clave


class LooksLikeNrc(RequestError):
    def __init__(self, nrc: str) -> None:
        super().__init__(nrc)
        self.nrc = nrc


class BadHours(RequestError):
    """`desde 14 hasta 10`, or an hour outside 0–24."""

    def __init__(self, since: int | None, until: int | None) -> None:
        super().__init__(since, until)
        self.since, self.until = since, until


class UnknownWords(RequestError):
    def __init__(self, words: Sequence[str]) -> None:
        super().__init__(*words)
        self.words = tuple(words)


@dataclass(frozen=True, slots=True)
class PlanRequest:
    claves: tuple[str, ...]
    centre: str | None = None
    since: int | None = None  # no class before since:00
    until: int | None = None  # no class ending after until:00
    free_days: frozenset[int] = frozenset()  # 0 = Monday
    with_seats: bool = False
    with_schedule: bool = False


def _plain(word: str) -> str:
    return normalise(word).strip(",;")


def _days(word: str) -> tuple[int, ...] | None:
    """The days a word after «sin» names: a day's name, its letter, letters written together
    as SIIAU does ("MJ"), or "y" (none); None for any other word, which ends the list."""
    if word == "Y":
        return ()
    if word in DAY_WORDS:
        return (DAY_WORDS[word],)
    if word and len(set(word)) == len(word) and all(ch in DAY_LETTERS for ch in word):
        return tuple(DAY_LETTERS[ch] for ch in word)
    return None


def parse_request(args: Sequence[str]) -> PlanRequest:
    words = [w for a in args for w in re.split(r"[\s,;]+", a) if w]
    claves: list[str] = []
    centre: str | None = None
    since = until = None
    free_days: set[int] = set()
    with_seats = with_schedule = False
    unknown: list[str] = []
    i = 0
    while i < len(words):
        word, plain = words[i], _plain(words[i])
        following = _plain(words[i + 1]) if i + 1 < len(words) else ""
        # The hour as typed: `normalise` drops dashes, and "-1" is no hour.
        typed_hour = words[i + 1].strip(",;").upper() if i + 1 < len(words) else ""
        if plain in ("DESDE", "HASTA") and HOUR.match(typed_hour):
            hour = int(HOUR.match(typed_hour).group(1))  # type: ignore[union-attr]
            if hour > 24:  # named alone: the other hour may not be typed yet
                raise BadHours(
                    hour if plain == "DESDE" else None, hour if plain == "HASTA" else None
                )
            if plain == "DESDE":
                since = hour
            else:
                until = hour
            i += 2
        elif plain == "SIN":
            i += 1
            taken = 0
            while i < len(words) and (days := _days(_plain(words[i]))) is not None:
                free_days.update(days)
                taken += len(days)
                i += 1
            if not taken:
                unknown.append(word)
        elif plain == "CON" and following == "CUPO":
            with_seats = True
            i += 2
        elif (
            plain == "CON"
            and following == "MI"
            and i + 2 < len(words)
            and _plain(words[i + 2]) == "HORARIO"
        ):
            with_schedule = True
            i += 3
        elif NRC.match(plain):
            raise LooksLikeNrc(plain)
        elif CENTRE.match(plain) and centre is None:
            centre = plain
            i += 1
        elif CLAVE.match(plain) and any(
            ch.isdigit() for ch in plain
        ):  # a word ("martes") is no clave
            if plain in claves:
                raise RepeatedClave(plain)
            claves.append(plain)
            i += 1
        else:
            unknown.append(word)
            i += 1
    if unknown:
        raise UnknownWords(unknown)
    if not claves:
        raise NoClaves()
    if len(claves) > MAX_CLAVES:
        raise TooManyClaves()
    if since is not None and until is not None and since >= until:
        raise BadHours(since, until)
    return PlanRequest(
        tuple(claves), centre, since, until, frozenset(free_days), with_seats, with_schedule
    )


# ---- sections as the search sees them --------------------------------------------
def meetings(section: OfferSection) -> tuple[Meeting, ...]:
    """Each scheduled session on each of its days; a session ending at or before its start
    crosses midnight and is cut at 24:00. Sessions with no day or hour are no meeting."""
    out: list[Meeting] = []
    for session in section.sessions:
        if session.start is None or session.end is None:
            continue
        start = session.start.hour * 60 + session.start.minute
        end = session.end.hour * 60 + session.end.minute
        out.extend(Meeting(int(day), start, end if end > start else 1440) for day in session.days)
    return tuple(out)


def candidate(section: OfferSection) -> Candidate:
    return Candidate(section.nrc, section.key, meetings(section))


def passes(section: OfferSection, request: PlanRequest, option: str) -> bool:
    """Whether `section` passes one option (`OPTION_ORDER`); options not asked pass. A session
    with only a day, or only hours, never clashes, but the options see what it has: «sin
    viernes» its Friday, «desde»/«hasta» its hours."""
    timed = [
        (s.start.hour * 60 + s.start.minute, s.end.hour * 60 + s.end.minute)
        for s in section.sessions
        if s.start is not None and s.end is not None
    ]
    if option == "desde":
        return request.since is None or all(start >= request.since * 60 for start, _ in timed)
    if option == "hasta":
        # A session ending at or before its start runs to midnight (as in `meetings`).
        return request.until is None or all(
            (end if end > start else 1440) <= request.until * 60 for start, end in timed
        )
    if option == "sin":
        return not any(int(d) in request.free_days for s in section.sessions for d in s.days)
    if option == "cupo":
        return not request.with_seats or section.free > 0
    raise ValueError(option)


def within(section: OfferSection, request: PlanRequest) -> bool:
    return all(passes(section, request, option) for option in OPTION_ORDER)


def emptied_by(sections: Sequence[OfferSection], request: PlanRequest) -> str | None:
    """The option (applied in `OPTION_ORDER`) after which none of `sections` is left."""
    left = list(sections)
    for option in OPTION_ORDER:
        left = [s for s in left if passes(s, request, option)]
        if not left:
            return option
    return None
