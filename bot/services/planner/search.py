"""The clash-free search: every way to take one section of each subject, ranked.

Pure code, no I/O. Time is in minutes from Monday 00:00 on a week of six days; a
meeting's range is half-open, so 07:00–08:55 and 08:55–10:00 do not clash. Each
candidate's meetings become one bitmask (a bit per minute of the week), so a clash
test is one AND. Sessions with no day or no hour are not meetings: they never clash
(the caller lists them).

Order of the options (fixed, documented in the README):
  1. fewest days with classes;
  2. fewest idle minutes: per day, the time between the first class's start and the
     last class's end not spent in class, summed over the week;
  3. the earliest end of the week's latest class;
  4. the options' NRCs, sorted ascending, compared as a tuple (deterministic).
The student's fixed classes ("con mi horario") count in the days, idle time and end.

The search takes the subject with fewest sections first, keeps for every later
subject the sections still compatible with the choices so far (a dead end is seen
as soon as one of them runs out), counts the last subject by a popcount instead of
visiting each combination, stops counting past `count_cap`, and ranks by branch and
bound: a partial choice whose lower bound (days it must still add, idle time the later
subjects cannot fill, the latest end it must still reach) is worse than the `keep`-th best option found is not explored.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass

MINUTES_PER_DAY = 1440
DAYS = 6  # Monday to Saturday
DAY_BITS = (1 << MINUTES_PER_DAY) - 1
COUNT_CAP = 10_000
KEEP = 10  # options a student can page through; the count covers the rest


@dataclass(frozen=True, slots=True)
class Meeting:
    day: int  # 0 = Monday … 5 = Saturday
    start: int  # minutes from 00:00
    end: int  # exclusive; at most 1440

    def __post_init__(self) -> None:
        if not (0 <= self.day < DAYS and 0 <= self.start < self.end <= MINUTES_PER_DAY):
            raise ValueError(f"bad meeting {self}")

    def clashes(self, other: Meeting) -> bool:
        return self.day == other.day and self.start < other.end and other.start < self.end


@dataclass(frozen=True, slots=True)
class Candidate:
    """One section of a subject, as the search sees it."""

    nrc: str
    subject: str  # the clave
    meetings: tuple[Meeting, ...]


@dataclass(frozen=True, slots=True, order=True)
class Rank:
    days: int
    idle: int  # minutes
    latest_end: int  # minutes from 00:00 of its day
    nrcs: tuple[str, ...]  # sorted ascending


@dataclass(frozen=True, slots=True)
class Option:
    sections: tuple[Candidate, ...]  # one per subject, in the order the subjects were given
    rank: Rank


@dataclass(frozen=True, slots=True)
class SearchResult:
    count: int  # exact when not `capped`; otherwise count_cap + 1
    capped: bool  # more than `count_cap` options exist
    options: tuple[Option, ...]  # the best `keep`, best first


def meeting_mask(meetings: Sequence[Meeting]) -> int:
    mask = 0
    for m in meetings:
        mask |= ((1 << (m.end - m.start)) - 1) << (m.day * MINUTES_PER_DAY + m.start)
    return mask


def rank_mask(mask: int) -> tuple[int, int, int]:
    """(days, idle minutes, latest end) of a week's occupied minutes."""
    days = idle = latest = 0
    for day in range(DAYS):
        minutes = (mask >> (day * MINUTES_PER_DAY)) & DAY_BITS
        if minutes:
            days += 1
            first = (minutes & -minutes).bit_length() - 1
            last = minutes.bit_length()
            idle += last - first - minutes.bit_count()
            latest = max(latest, last)
    return days, idle, latest


def _day_bits(mask: int) -> int:
    return sum(1 << d for d in range(DAYS) if (mask >> (d * MINUTES_PER_DAY)) & DAY_BITS)


def _gaps(mask: int) -> int:
    """The minutes between each day's first start and last end that are not in class."""
    gaps = 0
    for day in range(DAYS):
        minutes = (mask >> (day * MINUTES_PER_DAY)) & DAY_BITS
        if minutes:
            first = (minutes & -minutes).bit_length() - 1
            span = ((1 << minutes.bit_length()) - 1) ^ ((1 << first) - 1)
            gaps |= (span ^ minutes) << (day * MINUTES_PER_DAY)
    return gaps


def _latest(mask: int) -> int:
    return max(((mask >> (d * MINUTES_PER_DAY)) & DAY_BITS).bit_length() for d in range(DAYS))


class _Problem:
    """The subjects in search order with their masks and pairwise compatibilities."""

    def __init__(self, subjects: Sequence[Sequence[Candidate]], fixed: Sequence[Meeting]) -> None:
        self.fixed = meeting_mask(fixed)
        # Sections that clash with the fixed classes can never be taken.
        kept = [
            [c for c in subject if not meeting_mask(c.meetings) & self.fixed]
            for subject in subjects
        ]
        self.order = sorted(range(len(kept)), key=lambda i: (len(kept[i]), i))
        self.levels = [kept[i] for i in self.order]
        self.masks = [[meeting_mask(c.meetings) for c in level] for level in self.levels]
        self.days = [[_day_bits(m) for m in level] for level in self.masks]
        self.ends = [[_latest(m) for m in level] for level in self.masks]
        self.full = [(1 << len(level)) - 1 for level in self.levels]
        # compat[a][i][b]: the sections of level b (> a) that fit beside section i of level a.
        self.compat = [
            [
                [
                    sum(1 << j for j, other in enumerate(self.masks[b]) if not mask & other)
                    if b > a
                    else 0
                    for b in range(len(self.levels))
                ]
                for mask in self.masks[a]
            ]
            for a in range(len(self.levels))
        ]

    def narrowed(self, level: int, index: int, domains: tuple[int, ...]) -> tuple[int, ...] | None:
        """Domains of the later levels once section `index` of `level` is taken; None at a dead end."""
        compat = self.compat[level][index]
        out = list(domains)
        for b in range(level + 1, len(self.levels)):
            out[b] &= compat[b]
            if not out[b]:
                return None
        return tuple(out)


def _bits(value: int) -> list[int]:
    out = []
    while value:
        low = value & -value
        out.append(low.bit_length() - 1)
        value ^= low
    return out


def count_options(problem: _Problem, cap: int) -> int:
    """Options, exactly up to `cap`; any number above `cap` comes back as `cap + 1`."""
    levels = len(problem.levels)
    if levels == 0:
        return 0
    total = 0

    def walk(level: int, domains: tuple[int, ...]) -> bool:
        nonlocal total
        if level == levels - 1:
            total += domains[level].bit_count()
            return total > cap
        for index in _bits(domains[level]):
            narrowed = problem.narrowed(level, index, domains)
            if narrowed is not None and walk(level + 1, narrowed):
                return True
        return False

    walk(0, tuple(problem.full))
    return min(total, cap + 1)


def best_options(problem: _Problem, keep: int) -> list[tuple[Rank, tuple[int, ...]]]:
    """The `keep` best (rank, section index per level), best first, by branch and bound."""
    levels = len(problem.levels)
    best: list[tuple[Rank, tuple[int, ...]]] = []
    if levels == 0 or keep < 1:
        return best
    chosen: list[int] = []

    def bound_exceeds(mask: int, domains: tuple[int, ...], level: int) -> bool:
        """Whether every completion of this partial choice ranks below the `keep`-th best.
        Lower bounds: the days the most demanding later subject must add; today's gaps
        less what the later subjects could fill of them at most; the latest end any
        completion must reach."""
        if len(best) < keep:
            return False
        days_bits, gaps = _day_bits(mask), _gaps(mask)
        more_days = 0
        end = _latest(mask)
        idle = gaps.bit_count()
        for b in range(level, levels):
            indexes = _bits(domains[b])
            more_days = max(
                more_days, min((problem.days[b][i] & ~days_bits).bit_count() for i in indexes)
            )
            end = max(end, min(problem.ends[b][i] for i in indexes))
            if idle > 0 and gaps:
                idle -= max((problem.masks[b][i] & gaps).bit_count() for i in indexes)
        worst = best[-1][0]
        return (days_bits.bit_count() + more_days, max(idle, 0), end) > (
            worst.days,
            worst.idle,
            worst.latest_end,
        )

    def offer(rank: Rank) -> None:
        item = (rank, tuple(chosen))
        if len(best) < keep:
            bisect.insort(best, item)
        elif item < best[-1]:
            bisect.insort(best, item)
            best.pop()

    def walk(level: int, mask: int, domains: tuple[int, ...]) -> None:
        if bound_exceeds(mask, domains, level):
            return
        days_bits = _day_bits(mask)
        # Sections adding fewest new days first: good options early tighten the bound.
        indexes = sorted(
            _bits(domains[level]),
            key=lambda i: (
                (problem.days[level][i] & ~days_bits).bit_count(),
                problem.ends[level][i],
                i,
            ),
        )
        for index in indexes:
            chosen.append(index)
            taken = mask | problem.masks[level][index]
            if level == levels - 1:
                days, idle, latest = rank_mask(taken)
                nrcs = tuple(sorted(problem.levels[b][chosen[b]].nrc for b in range(levels)))
                offer(Rank(days, idle, latest, nrcs))
            else:
                narrowed = problem.narrowed(level, index, domains)
                if narrowed is not None:
                    walk(level + 1, taken, narrowed)
            chosen.pop()

    walk(0, problem.fixed, tuple(problem.full))
    return best


def search(
    subjects: Sequence[Sequence[Candidate]],
    fixed: Sequence[Meeting] = (),
    *,
    keep: int = KEEP,
    count_cap: int = COUNT_CAP,
) -> SearchResult:
    """Every clash-free choice of one candidate per subject (sections clashing with `fixed`
    are left out), counted up to `count_cap`, and the best `keep` of them in order."""
    problem = _Problem(subjects, fixed)
    count = count_options(problem, count_cap)
    options = []
    for rank, indexes in best_options(problem, keep) if count else []:
        by_level = {
            problem.order[level]: problem.levels[level][i] for level, i in enumerate(indexes)
        }
        options.append(Option(tuple(by_level[s] for s in range(len(subjects))), rank))
    return SearchResult(count, count > count_cap, tuple(options))


def always_clash(
    subjects: Sequence[Sequence[Candidate]], fixed: Sequence[Meeting] = ()
) -> tuple[int, int] | None:
    """Two subjects (indexes, in the order given) no section of which fits beside any
    section of the other; None when every pair has some fit."""
    fixed_mask = meeting_mask(fixed)
    masks = [
        [m for c in subject if not (m := meeting_mask(c.meetings)) & fixed_mask]
        for subject in subjects
    ]
    for a in range(len(masks)):
        for b in range(a + 1, len(masks)):
            if masks[a] and masks[b] and all(x & y for x in masks[a] for y in masks[b]):
                return a, b
    return None


def fits(candidate: Candidate, beside: Sequence[Candidate], fixed: Sequence[Meeting] = ()) -> bool:
    """Whether `candidate` clashes with none of `beside` nor the fixed classes."""
    taken = meeting_mask(fixed)
    for other in beside:
        taken |= meeting_mask(other.meetings)
    return not meeting_mask(candidate.meetings) & taken


def plan_b(
    option: Option, subjects: Sequence[Sequence[Candidate]], fixed: Sequence[Meeting] = ()
) -> tuple[tuple[Candidate, ...], ...]:
    """For each subject, the other candidates that fit beside the rest of this option."""
    out = []
    for index, chosen in enumerate(option.sections):
        rest = option.sections[:index] + option.sections[index + 1 :]
        out.append(
            tuple(c for c in subjects[index] if c.nrc != chosen.nrc and fits(c, rest, fixed))
        )
    return tuple(out)
