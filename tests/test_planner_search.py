"""The clash-free search against a brute-force enumeration on random seeded offers."""

from __future__ import annotations

import itertools
import random

import pytest

from bot.services.planner.search import Candidate, Meeting, Option, always_clash, plan_b, search


def random_offer(rng: random.Random, subjects: int, sections: int) -> list[list[Candidate]]:
    offer = []
    for s in range(subjects):
        candidates = []
        for n in range(rng.randint(1, sections)):
            meetings: list[Meeting] = []
            for _ in range(rng.choice((1, 1, 2))):
                days = rng.sample(range(6), rng.choice((1, 2, 2, 3)))
                start = rng.choice(range(7 * 60, 20 * 60, 60)) + rng.choice((0, 0, 30))
                length = rng.choice((55, 115, 120, 175))
                meetings.extend(Meeting(d, start, min(start + length, 1440)) for d in days)
            candidates.append(
                Candidate(f"{rng.randrange(10**5, 10**6)}{s}{n:02d}", f"K{s}", tuple(meetings))
            )
        offer.append(candidates)
    return offer


SLOTS = [(7 * 60 + 120 * n, 7 * 60 + 120 * n + 115) for n in range(7)]  # 07:00–08:55, 09:00–10:55…
DAY_SETS = [(0, 2), (1, 3), (4,), (5,), (0, 2, 4), (1, 3)]


def slot_offer(rng: random.Random, subjects: int, sections: int) -> list[list[Candidate]]:
    """UdG-like offers: two-hour slots five minutes apart on day pairs. Classes never touch,
    so the search's bounds from the least gap and the busiest day come into play."""
    offer = []
    for s in range(subjects):
        candidates = []
        for n in range(rng.randint(1, sections)):
            start, end = rng.choice(SLOTS)
            meetings = tuple(Meeting(d, start, end) for d in rng.choice(DAY_SETS))
            candidates.append(
                Candidate(f"{rng.randrange(10**5, 10**6)}{s}{n:02d}", f"K{s}", meetings)
            )
        offer.append(candidates)
    return offer


def brute_rank(
    sections: tuple[Candidate, ...], fixed: list[Meeting]
) -> tuple[int, int, int, tuple[str, ...]]:
    """Days, idle minutes, latest end, NRCs: computed from meeting lists, not bitmasks."""
    meetings = [m for c in sections for m in c.meetings] + fixed
    days = idle = latest = 0
    for day in range(6):
        spans = sorted((m.start, m.end) for m in meetings if m.day == day)
        if not spans:
            continue
        days += 1
        covered, reach = 0, -1  # minutes in class: the union of the day's spans
        for start, end in spans:
            if end > reach:
                covered += end - max(start, reach)
                reach = end
        idle += reach - spans[0][0] - covered
        latest = max(latest, reach)
    return days, idle, latest, tuple(sorted(c.nrc for c in sections))


def brute_force(
    offer: list[list[Candidate]], fixed: list[Meeting]
) -> list[tuple[tuple[int, int, int, tuple[str, ...]], tuple[Candidate, ...]]]:
    found = []
    for combo in itertools.product(*offer):
        # Two sessions of one section may overlap (two professors at once): only sections clash.
        if any(
            a.clashes(b)
            for x, y in itertools.combinations(combo, 2)
            for a in x.meetings
            for b in y.meetings
        ):
            continue
        if any(a.clashes(f) for c in combo for a in c.meetings for f in fixed):
            continue
        found.append((brute_rank(combo, fixed), combo))
    return sorted(found, key=lambda item: item[0])


def clash_free(option: Option, fixed: list[Meeting]) -> bool:
    pairs = itertools.combinations([*option.sections, Candidate("", "", tuple(fixed))], 2)
    return not any(a.clashes(b) for x, y in pairs for a in x.meetings for b in y.meetings)


@pytest.mark.parametrize("seed", range(200))
def test_search_matches_brute_force(seed: int) -> None:
    rng = random.Random(seed)
    if (
        seed % 2
    ):  # UdG-like slots (the bounds that need classes never to touch), up to 6^6 combinations
        offer = slot_offer(rng, rng.randint(2, 7), rng.randint(2, 5))
        fixed = (
            [Meeting(rng.randrange(6), 1260, 1375)] if seed % 3 == 0 else []
        )  # 21:00–22:55, its own slot
    else:
        offer = random_offer(rng, rng.randint(1, 5), rng.randint(1, 7))
        fixed = [Meeting(rng.randrange(6), 600, 720)] if seed % 3 == 0 else []
    keep = rng.choice((1, 3, 20))
    expected = brute_force(offer, fixed)
    result = search(offer, fixed, keep=keep)
    assert result.count == len(expected) and not result.capped
    ranks = [(o.rank.days, o.rank.idle, o.rank.latest_end, o.rank.nrcs) for o in result.options]
    assert ranks == [rank for rank, _ in expected[:keep]]
    if expected:
        assert (
            result.options[0].sections == expected[0][1]
        )  # the same best option, subject by subject
    for option in result.options:
        assert clash_free(option, fixed)
        assert [c.subject for c in option.sections] == [s[0].subject for s in offer]


def test_count_is_exact_to_the_cap_then_capped() -> None:
    # 4 subjects × 12 sections on separate days and hours: 12^4 = 20,736 options, none clash.
    offer = [
        [
            Candidate(f"{s}{n:03d}", f"K{s}", (Meeting(s, 420 + 60 * n, 470 + 60 * n),))
            for n in range(12)
        ]
        for s in range(4)
    ]
    result = search(offer, keep=5)
    assert result.capped and result.count == 10_001
    small = search(offer[:3], keep=5)
    assert small.count == 12**3 and not small.capped
    exact = search(offer, keep=1, count_cap=30_000)
    assert exact.count == 12**4 and not exact.capped


def test_half_open_ranges_do_not_clash() -> None:
    a = Candidate("1", "A", (Meeting(0, 420, 535),))  # 07:00–08:55
    b = Candidate("2", "B", (Meeting(0, 535, 600),))  # 08:55–10:00
    c = Candidate("3", "C", (Meeting(0, 534, 600),))  # 08:54–10:00
    assert search([[a], [b]]).count == 1
    assert search([[a], [c]]).count == 0


def test_sessions_without_hours_never_clash() -> None:
    a = Candidate("1", "A", ())
    b = Candidate("2", "B", (Meeting(0, 420, 535),))
    result = search([[a], [b]])
    assert result.count == 1 and result.options[0].rank.days == 1


def test_two_subjects_that_always_clash_are_named() -> None:
    a = [Candidate("1", "A", (Meeting(0, 420, 535),)), Candidate("2", "A", (Meeting(1, 420, 535),))]
    b = [Candidate("3", "B", (Meeting(0, 480, 600), Meeting(1, 480, 600)))]
    c = [Candidate("4", "C", (Meeting(4, 420, 535),))]
    assert search([c, a, b]).count == 0
    assert always_clash([c, a, b]) == (1, 2)
    assert always_clash([c, a]) is None


def test_plan_b_lists_other_sections_that_fit() -> None:
    a = [
        Candidate("1", "A", (Meeting(0, 420, 535),)),
        Candidate("2", "A", (Meeting(2, 420, 535),)),
        Candidate("5", "A", (Meeting(1, 420, 535),)),
    ]
    b = [Candidate("3", "B", (Meeting(1, 420, 535),)), Candidate("4", "B", (Meeting(3, 420, 535),))]
    best = search([a, b]).options[0]
    alternatives = plan_b(best, [a, b])
    chosen_b = best.sections[1]
    assert all(c.nrc != best.sections[0].nrc for c in alternatives[0])
    assert {c.nrc for c in alternatives[0]} == {c.nrc for c in a if c is not best.sections[0]} - (
        {"5"} if chosen_b.nrc == "3" else set()
    )
    assert {c.nrc for c in alternatives[1]} == {c.nrc for c in b if c is not chosen_b}


def test_the_ranking_stops_at_its_budget_with_real_options() -> None:
    rng = random.Random(7)
    offer = slot_offer(rng, 6, 6)
    full = search(offer, keep=5)
    cut = search(offer, keep=5, max_nodes=10)  # deep enough for the first options, no more
    assert full.complete and not cut.complete
    assert cut.count == full.count  # the count is never cut
    assert cut.options and all(clash_free(o, []) for o in cut.options)
    assert [o.rank for o in cut.options] == sorted(o.rank for o in cut.options)
    assert cut.options[0].rank >= full.options[0].rank
