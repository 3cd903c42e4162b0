"""/armar's words and buttons: typed parsing, strict refusals."""

from __future__ import annotations

import pytest

from bot.services.planner import request as r
from bot.telegram.handlers.armar import Press, button_data, parse_data


def test_claves_centre_and_options_in_any_order() -> None:
    parsed = r.parse_request(
        "i5886 desde 9 D sin Viernes sábado I7412 con cupo hasta 20 le-201".split()
    )
    assert parsed.claves == ("I5886", "I7412", "LE201")
    assert parsed.centre == "D" and parsed.since == 9 and parsed.until == 20
    assert parsed.free_days == {4, 5} and parsed.with_seats and not parsed.with_schedule
    letters = r.parse_request(["I5886", "sin", "L", "M", "con", "mi", "horario"])
    assert letters.free_days == {0, 1} and letters.with_schedule


@pytest.mark.parametrize(
    ("words", "error"),
    [
        ([f"I{n:04d}" for n in range(11)], r.TooManyClaves),
        (["I5886", "i5886"], r.RepeatedClave),
        (["I5886", "desde", "14", "hasta", "10"], r.BadHours),
        (["I5886", "los", "martes"], r.UnknownWords),
        (["180245"], r.LooksLikeNrc),
        (["desde", "9"], r.NoClaves),
    ],
)
def test_bad_input_is_refused(words: list[str], error: type[Exception]) -> None:
    with pytest.raises(error):
        r.parse_request(words)


def test_button_data_round_trips_and_fits_64_bytes() -> None:
    presses = [
        Press("n", "0a1b2c3d", index=99),
        Press("c", "0a1b2c3d", centre="D"),
        Press("l", "0a1b2c3d", cycle="202620"),
        Press("y", "0a1b2c3d"),
    ]
    for press in presses:
        data = button_data(press)
        assert len(data.encode()) <= 64 and parse_data(data) == press


@pytest.mark.parametrize(
    "data",
    [
        "",
        None,
        "ar:n:0a1b2c3d",
        "ar:n:0a1b2c3d:100",
        "ar:n:0A1B2C3D:1",
        "ar:x:0a1b2c3d:1",
        "ar:c:0a1b2c3d:DDD",
        "ar:y:0a1b2c3d:1",
        "ar:n:0a1b2c3d:-1",
        "ar:l:0a1b2c3d:ABCDEF",
        "ar:n:0a1b2c3d:1:2",
        "cu:n:0a1b2c3d:1",
    ],
)
def test_forged_data_is_refused(data: str | None) -> None:
    assert parse_data(data) is None


def test_a_digit_centre_is_a_centre() -> None:
    # The real offer form lists centres 3, 4, 5 and 6 (Tlajomulco, Guadalajara, Tlaquepaque,
    # Chapala) beside the lettered ones: their students type and press them too.
    parsed = r.parse_request(["I5886", "3", "desde", "9"])
    assert parsed.centre == "3" and parsed.since == 9 and parsed.claves == ("I5886",)
    press = Press("c", "0a1b2c3d", centre="3")
    assert parse_data(button_data(press)) == press


def test_options_see_sessions_with_only_a_day_or_only_hours() -> None:
    # Such sessions never clash, but «sin viernes» still keeps a Friday session out, and
    # «desde 9» / «hasta 14» a 07:00 or a 16:00 session whose day the offer leaves blank.
    from datetime import time

    from bot.schedule.model import Day
    from bot.siiau.offer import OfferSection, OfferSession

    def section(days: tuple[Day, ...], start: time | None, end: time | None) -> OfferSection:
        session = OfferSession("01", days, start, end, "DEDX", "A001", None, None)
        return OfferSection("200101", "I5886", "ESTRUCTURAS", "D01", 8, 40, 3, (session,), ())

    friday = section((Day(4),), None, None)
    early = section((), time(7), time(8, 55))
    late = section((), time(16), time(17, 55))
    asked = r.parse_request(["I5886", "sin", "viernes", "desde", "9", "hasta", "14"])
    assert not r.passes(friday, asked, "sin") and r.passes(friday, asked, "desde")
    assert not r.passes(early, asked, "desde") and r.passes(early, asked, "sin")
    assert not r.passes(late, asked, "hasta") and r.passes(late, asked, "desde")
    assert r.emptied_by([friday], asked) == "sin"


@pytest.mark.parametrize(
    ("words", "shown"),
    [
        (["I5886", "hasta", "25"], "«hasta 25»"),
        (["I5886", "desde", "30"], "«desde 30»"),
        (["I5886", "desde", "14", "hasta", "10"], "«desde 14 hasta 10»"),
    ],
)
def test_bad_hours_are_named_as_typed(words: list[str], shown: str) -> None:
    from bot.telegram.texts import planner as texts

    with pytest.raises(r.BadHours) as refused:
        r.parse_request(words)
    answer = texts.request_error(refused.value)
    assert shown in answer and "None" not in answer


def test_day_letters_may_be_written_together() -> None:
    # As SIIAU writes them ("LI", "MJ"): «sin VS» is «sin V S».
    assert r.parse_request(["I5886", "sin", "VS", "D"]).free_days == {4, 5}
    assert r.parse_request(["I5886", "sin", "mj,", "s"]).free_days == {1, 3, 5}
    with pytest.raises(r.UnknownWords):
        r.parse_request(["I5886", "sin", "LX"])


def test_a_negative_hour_is_not_an_hour() -> None:
    with pytest.raises(r.UnknownWords):
        r.parse_request(["I5886", "desde", "-1"])  # it read as «desde 1»
