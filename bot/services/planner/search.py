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
from collections.abc import Callable, Sequence
from dataclasses import dataclass

MINUTES_PER_DAY = 1440
DAYS = 6  # Monday to Saturday
DAY_BITS = (1 << MINUTES_PER_DAY) - 1
COUNT_CAP = 10_000
# SUPERSETS[s]: the day sets (as bits of a 64-bit int) that hold day set s; LAYERS[k]: those of k days.
SUPERSETS = tuple(sum(1 << d for d in range(1 << DAYS) if d & s == s) for s in range(1 << DAYS))
LAYERS = tuple(sum(1 << d for d in range(1 << DAYS) if d.bit_count() == k) for k in range(DAYS + 1))
MAX_NODES = 60_000  # partial choices the ranking may visit: about 3 s in the worst case
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
    complete: bool = True  # False: the node budget ran out; these are the best found by then


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


def _spans(mask: int) -> list[tuple[int, int] | None]:
    """Per day, (first start, last end) of the classes in `mask`, or None."""
    out: list[tuple[int, int] | None] = []
    for day in range(DAYS):
        minutes = (mask >> (day * MINUTES_PER_DAY)) & DAY_BITS
        out.append(
            ((minutes & -minutes).bit_length() - 1, minutes.bit_length()) if minutes else None
        )
    return out


def _stuck_gap(
    meetings: Sequence[Meeting], spans: Sequence[tuple[int, int] | None], shortest: int
) -> int:
    """Minutes of idle time `meetings` leave for good beside the classes already chosen:
    a gap to a day's first or last class shorter than the shortest class can never be filled."""
    stuck = 0
    for m in meetings:
        span = spans[m.day]
        if span is None:
            continue
        gap = (
            span[0] - m.end if m.end <= span[0] else m.start - span[1] if m.start >= span[1] else 0
        )
        if 0 < gap < shortest:
            stuck += gap
    return stuck


def _blocks(mask: int) -> int:
    """Runs of consecutive minutes in class, over the week."""
    total = 0
    for day in range(DAYS):
        minutes = (mask >> (day * MINUTES_PER_DAY)) & DAY_BITS
        total += (minutes & ~(minutes << 1)).bit_count()
    return total


def _gap_floor(meetings: Sequence[Meeting]) -> int:
    """The least distance between two classes that can share a day without overlapping
    (0 when two can touch): with it, n blocks on a day idle at least (n - 1) times it."""
    by_day: dict[int, list[tuple[int, int]]] = {}
    for m in meetings:
        by_day.setdefault(m.day, []).append((m.start, m.end))
    floor: int | None = None
    for spans in by_day.values():
        unique = sorted(set(spans))
        for a, (start_a, end_a) in enumerate(unique):
            for start_b, end_b in unique[a + 1 :]:
                gap = (
                    start_b - end_a
                    if start_b >= end_a
                    else start_a - end_b
                    if start_a >= end_b
                    else -1
                )
                if gap >= 0:
                    floor = gap if floor is None else min(floor, gap)
                    if floor == 0:
                        return 0
    return floor or 0


def _latest(mask: int) -> int:
    return max(((mask >> (d * MINUTES_PER_DAY)) & DAY_BITS).bit_length() for d in range(DAYS))


@dataclass(frozen=True, slots=True)
class _Summary:
    domain: int
    indexes: tuple[int, ...]
    within: int  # the day sets (bits) holding some section's days
    least_end: int
    least_blocks: int
    least_nrc: str


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
        self.meetings = [[c.meetings for c in level] for level in self.levels]
        everyone = [m for level in self.levels for c in level for m in c.meetings] + list(fixed)
        self.gap_floor = _gap_floor(everyone)
        # Blocks a section adds: its meetings, those of one day that overlap or touch as one.
        self.blocks = [[_blocks(m) for m in level] for level in self.masks]
        self._summaries: dict[tuple[int, int], _Summary] = {}
        self.earliest = min((m.start for m in everyone), default=0)
        self.shortest = min(
            (m.end - m.start for level in self.levels for c in level for m in c.meetings), default=0
        )
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

    def summary(self, level: int, domain: int) -> _Summary:
        """What the bound needs of a level's remaining sections (memoised: domains repeat)."""
        key = (level, domain)
        found = self._summaries.get(key)
        if found is None:
            indexes = tuple(_bits(domain))
            within = 0
            for i in indexes:
                within |= SUPERSETS[self.days[level][i]]
            found = _Summary(
                domain,
                indexes,
                within,
                min(self.ends[level][i] for i in indexes),
                min(self.blocks[level][i] for i in indexes),
                min(self.levels[level][i].nrc for i in indexes),
            )
            self._summaries[key] = found
        return found

    def narrowed(self, level: int, index: int, domains: tuple[int, ...]) -> tuple[int, ...] | None:
        """Domains of the later levels once section `index` of `level` is taken; None at a dead end."""
        compat = self.compat[level][index]
        out = list(domains)
        for b in range(level + 1, len(self.levels)):
            out[b] &= compat[b]
            if not out[b]:
                return None
        return tuple(out)


def _only(
    problem: _Problem, domains: tuple[int, ...], level: int, keep: Callable[[int, int], bool]
) -> tuple[int, ...] | None:
    """The domains of levels from `level` on, with only the sections `keep` accepts;
    None when a level is left with none."""
    out = list(domains)
    for b in range(level, len(out)):
        kept = 0
        for i in problem.summary(b, out[b]).indexes:
            if keep(b, i):
                kept |= 1 << i
        if not kept:
            return None
        out[b] = kept
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


class _OutOfBudget(Exception):
    pass


def best_options(
    problem: _Problem, keep: int, max_nodes: int = MAX_NODES
) -> tuple[list[tuple[Rank, tuple[int, ...]]], bool]:
    """The `keep` best (rank, section index per level), best first, by branch and bound, and
    whether the search finished: after `max_nodes` partial choices it stops with the best
    found so far (each a real clash-free option; better ones may exist)."""
    levels = len(problem.levels)
    best: list[tuple[Rank, tuple[int, ...]]] = []
    if levels == 0 or keep < 1:
        return best, True
    chosen: list[int] = []
    visited = 0

    def tighten(mask: int, domains: tuple[int, ...], level: int) -> tuple[int, ...] | None:
        """None when every completion of this partial choice ranks below the `keep`-th best;
        otherwise the later subjects' sections that can still be part of a better option.

        Lower bounds, each holding for every completion:
        - days: the smallest day set holding the current days on which every later
          subject still has a section;
        - idle: today's gaps, less what the later subjects could fill of them at most,
          plus, per later subject, the least unfillable gap its sections leave outside
          the current classes of a day (a gap shorter than any class cannot be filled,
          so it stays; two subjects' such gaps never coincide, as they would clash);
          and, when classes never touch, (blocks - days) times the least gap;
        - the latest end: the latest any later subject must reach, and, when classes never
          touch, the end of the busiest day's blocks packed from the earliest start;
        - the NRCs: the chosen ones with each later subject's smallest, sorted.
        The cheap parts come first; the idle time only matters on a tie in days. On such a
        tie, a better option has exactly that many days and ends no later than the worst
        kept: sections ending later, or needing a day outside every such day set, go.
        """
        if len(best) < keep:
            return domains
        worst = best[-1][0]
        days_bits = _day_bits(mask)
        feasible = SUPERSETS[days_bits]
        end = _latest(mask)
        blocks = _blocks(mask) if problem.gap_floor else 0
        later = [problem.summary(b, domains[b]) for b in range(level, levels)]
        for summary in later:
            feasible &= summary.within
            end = max(end, summary.least_end)
            blocks += summary.least_blocks
        if not feasible:
            return None
        least_days = next(k for k, layer in enumerate(LAYERS) if feasible & layer)
        if least_days != worst.days:
            return None if least_days > worst.days else domains
        # A better option has exactly these many days: its sections fit in such a day set.
        day_sets = feasible & LAYERS[least_days]
        fitting = _only(
            problem,
            domains,
            level,
            lambda b, i: bool(SUPERSETS[problem.days[b][i] | days_bits] & day_sets),
        )
        if fitting is None:
            return None
        domains = fitting
        later = [problem.summary(b, domains[b]) for b in range(level, levels)]
        end = max([end] + [x.least_end for x in later])
        idle = 0
        if problem.gap_floor:
            # Every two classes of a day are at least `gap_floor` apart (so they never merge):
            # a day of n blocks idles (n - 1) * gap_floor and ends no earlier than the first
            # class's start plus n of the shortest classes and those gaps; some day holds
            # blocks / days of them.
            blocks = _blocks(mask) + sum(x.least_blocks for x in later)
            idle = (blocks - least_days) * problem.gap_floor
            busiest = -(-blocks // least_days) if least_days else 0
            if busiest:
                end = max(
                    end,
                    problem.earliest
                    + busiest * problem.shortest
                    + (busiest - 1) * problem.gap_floor,
                )
        gaps = _gaps(mask)
        spans = _spans(mask)
        left = gaps.bit_count()
        outside = 0
        for b, summary in zip(range(level, levels), later, strict=True):
            if left > 0 and gaps:
                left -= max((problem.masks[b][i] & gaps).bit_count() for i in summary.indexes)
            outside += min(
                _stuck_gap(problem.meetings[b][i], spans, problem.shortest) for i in summary.indexes
            )
        idle = max(idle, max(left, 0) + outside)
        if idle != worst.idle:
            return None if idle > worst.idle else domains
        # As idle as the worst kept at best: a better option ends no later than it.
        ending = _only(problem, domains, level, lambda b, i: problem.ends[b][i] <= worst.latest_end)
        if ending is None or end > worst.latest_end:
            return None
        domains = ending
        if end < worst.latest_end:
            return domains
        # A tie so far: the NRCs decide (putting a smaller NRC in a sorted tuple never makes it larger).
        nrcs = [problem.levels[b][chosen[b]].nrc for b in range(level)]
        nrcs += [problem.summary(b, domains[b]).least_nrc for b in range(level, levels)]
        return None if tuple(sorted(nrcs)) > worst.nrcs else domains

    def offer(rank: Rank) -> None:
        item = (rank, tuple(chosen))
        if len(best) < keep:
            bisect.insort(best, item)
        elif item < best[-1]:
            bisect.insort(best, item)
            best.pop()

    def walk(level: int, mask: int, domains: tuple[int, ...]) -> None:
        nonlocal visited
        visited += 1
        if visited > max_nodes:
            raise _OutOfBudget()
        tightened = tighten(mask, domains, level)
        if tightened is None:
            return
        domains = tightened
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

    try:
        walk(0, problem.fixed, tuple(problem.full))
    except _OutOfBudget:
        return best, False
    return best, True


def search(
    subjects: Sequence[Sequence[Candidate]],
    fixed: Sequence[Meeting] = (),
    *,
    keep: int = KEEP,
    count_cap: int = COUNT_CAP,
    max_nodes: int = MAX_NODES,
) -> SearchResult:
    """Every clash-free choice of one candidate per subject (sections clashing with `fixed`
    are left out), counted up to `count_cap`, and the best `keep` of them in order (or,
    past `max_nodes` partial choices, the best found by then: `complete` is False)."""
    problem = _Problem(subjects, fixed)
    count = count_options(problem, count_cap)
    found, complete = best_options(problem, keep, max_nodes) if count else ([], True)
    options = []
    for rank, indexes in found:
        by_level = {
            problem.order[level]: problem.levels[level][i] for level, i in enumerate(indexes)
        }
        options.append(Option(tuple(by_level[s] for s in range(len(subjects))), rank))
    return SearchResult(count, count > count_cap, tuple(options), complete)


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
