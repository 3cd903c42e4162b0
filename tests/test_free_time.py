"""Common free windows: known gaps, the 30-minute floor, days off, Sunday, shared NRCs."""

from __future__ import annotations

from datetime import date, time

from bot.core.zones import zone
from bot.schedule.agenda import Agenda
from bot.schedule.days_off import DayOff, DaysOff, Source
from bot.schedule.free_time import Window, common_free, laid_out, shared_classes, week_days
from bot.schedule.model import Course, Day, Schedule, Session
from bot.services.friends import fold
from bot.telegram.handlers.friends import Button, button_data, parse_button
from bot.telegram.texts import friends as words

GDL = zone("America/Mexico_City")
FIRST, LAST = date(2026, 8, 17), date(2026, 12, 5)
WEEKDAYS = (Day.MONDAY, Day.TUESDAY, Day.WEDNESDAY, Day.THURSDAY, Day.FRIDAY)


def session(days: tuple[Day, ...], start: str, end: str) -> Session:
    return Session(
        days, time.fromisoformat(start), time.fromisoformat(end), "DEDX", "A1", "X", FIRST, LAST
    )


def schedule(*courses: tuple[str, str, Session]) -> Schedule:
    return Schedule(
        "202620",
        "2026-B",
        "A",
        "1",
        "INCO",
        "I",
        tuple(Course(nrc, key, "MATERIA " + key, "D01", 8, (s,)) for nrc, key, s in courses),
    )


ANA = schedule(
    ("1", "I5886", session((Day.TUESDAY, Day.THURSDAY), "09:00", "10:55")),
    ("2", "I0002", session(WEEKDAYS, "13:00", "14:55")),
)
BETO = schedule(
    ("1", "I5886", session((Day.TUESDAY, Day.THURSDAY), "09:00", "10:55")),
    ("3", "I0003", session((Day.MONDAY,), "07:00", "20:40")),
    ("4", "I0004", session((Day.WEDNESDAY,), "15:10", "16:00")),
)
REVOLUTION = DayOff(date(2026, 11, 16), "Día de la Revolución", Source.OFFICIAL)
DAYS_OFF = DaysOff([REVOLUTION])


def lines(days: list[date], *schedules: Schedule, minimum: int = 30) -> list[str]:
    agendas = [Agenda(s, DAYS_OFF, GDL) for s in schedules]
    return [words.day_line(d) for d in common_free(agendas, days, DAYS_OFF, min_minutes=minimum)]


def test_known_gaps_day_by_day_with_the_floor_and_a_day_off() -> None:
    week = week_days(date(2026, 11, 9))  # a Monday: the whole week
    assert lines(week, ANA, BETO) == [
        "Lun sin horas libres en común",  # 20:40–21:00 is 20 min: under 30
        "Mar 07:00–09:00, 10:55–13:00, 14:55–21:00",
        "Mié 07:00–13:00, 16:00–21:00",  # 14:55–15:10 is 15 min: dropped
        "Jue 07:00–09:00, 10:55–13:00, 14:55–21:00",
        "Vie 07:00–13:00, 14:55–21:00",
        "Sáb 07:00–21:00",
    ]
    assert lines(week[:1], ANA, BETO, minimum=20) == ["Lun 20:40–21:00"]
    assert lines(week_days(date(2026, 11, 16))[:1], ANA, BETO) == [
        "Lun 07:00–21:00 (día inhábil: Día de la Revolución)"
    ]


def test_today_through_saturday_and_sunday_means_the_coming_week() -> None:
    assert week_days(date(2026, 11, 12)) == [date(2026, 11, d) for d in (12, 13, 14)]
    assert week_days(date(2026, 11, 14)) == [date(2026, 11, 14)]
    assert week_days(date(2026, 11, 15)) == [date(2026, 11, d) for d in range(16, 22)]


def test_after_the_cycle_everything_is_free_and_busy_is_merged() -> None:
    agendas = [Agenda(s, DAYS_OFF, GDL) for s in (ANA, BETO)]
    [after] = common_free(agendas, [date(2026, 12, 7)], DAYS_OFF)
    assert after.free == (Window(420, 1260),) and after.busy == ()
    [tuesday] = common_free(agendas, [date(2026, 11, 10)], DAYS_OFF)
    assert tuesday.busy == (Window(540, 655), Window(780, 895))


def test_shared_classes_by_nrc_with_key_days_and_hour() -> None:
    [shared] = shared_classes([ANA, BETO])
    assert words.shared_class(shared) == "I5886 (Mar, Jue 09:00)"
    assert shared_classes([ANA]) == []


def test_button_data_round_trips_and_forgeries_are_refused() -> None:
    for button in (
        Button("invite", 42, True),
        Button("invite", 42, False),
        Button("share", -1001234, True),
        Button("remove", 7),
        Button("pick", 9),
        Button("picture", 0),
        Button("picture", 12),
        Button("group_picture", 0),
    ):
        assert parse_button(button_data(button)) == button
    for forged in (
        "fr:i:0:y",
        "fr:i:-5:y",
        "fr:c:5:y",
        "fr:q:1:y",
        "fr:i:42",
        "fr:x:1",
        "fr:i:42:y ",
        "fr:l:-3",
        "fr:i:99999999999999999:y",
        "fr:c:-999999999999999:y",
        "",
        None,
        "fr:q:01",
        "fr:p:",
        "fr:p:-1",
        "fr:p:01",
        "fr:w:1",
        "fr:wx",
    ):
        assert parse_button(forged) is None


def test_names_match_without_case_or_accents() -> None:
    assert fold("  SOFÍA  María ") == "sofia maria"


def test_the_week_picture_shows_windows_and_ocupado_only() -> None:
    from bot.pdf.free_week import free_week_html

    agendas = [Agenda(s, DAYS_OFF, GDL) for s in (ANA, BETO)]
    html = free_week_html(
        common_free(agendas, week_days(date(2026, 11, 16)), DAYS_OFF), "Con <b>Beto</b>"
    )
    assert "Con &lt;b&gt;Beto&lt;/b&gt;" in html and "<b>" not in html
    assert "10:55–13:00" in html and "ocupado" in html and "Día de la Revolución" in html
    assert not any(word in html for word in ("MATERIA", "I5886", "I0002", "DEDX", "A1<"))


def test_a_cycle_that_ended_or_has_not_begun_counts_its_weekly_classes_with_a_flag() -> None:
    before, after = week_days(date(2026, 8, 10)), week_days(date(2026, 12, 7))
    for week in (before, after):
        laid = [laid_out(s, week, DAYS_OFF, GDL) for s in (ANA, BETO)]
        assert all(outside for _, outside in laid)
        free = common_free([a for a, _ in laid], week, DAYS_OFF)
        assert words.day_line(free[1]) == "Mar 07:00–09:00, 10:55–13:00, 14:55–21:00"
    inside = week_days(date(2026, 11, 9))
    assert not any(
        outside for _, outside in (laid_out(s, inside, DAYS_OFF, GDL) for s in (ANA, BETO))
    )
    # The week the cycle ends (Saturday 5 December): the dates count, nothing flagged.
    last_week = week_days(date(2026, 11, 30))
    agenda, outside = laid_out(ANA, last_week, DAYS_OFF, GDL)
    assert not outside and len(common_free([agenda], last_week, DAYS_OFF)[1].busy) == 2


def test_sessions_at_one_hour_on_separate_rows_read_as_one_meeting() -> None:
    split = Course(
        "1",
        "I5886",
        "MATERIA",
        "D01",
        8,
        (
            session((Day.THURSDAY,), "09:00", "10:55"),
            session((Day.TUESDAY,), "09:00", "10:55"),
            session((Day.FRIDAY,), "11:00", "12:55"),
        ),
    )
    mine = Schedule("202620", "2026-B", "A", "1", "INCO", "I", (split,))
    [shared] = shared_classes([mine, ANA])
    assert words.shared_class(shared) == "I5886 (Mar, Jue 09:00; Vie 11:00)"


def test_libres_nombre_matches_exact_then_start_then_a_word() -> None:
    from bot.services.friends import Friend
    from bot.services.friends.service import _match

    friends = [Friend(1, "Ana Lucía"), Friend(2, "ANA"), Friend(3, "Anabel"), Friend(4, "Beto")]
    assert [f.user_id for f in _match(friends, "ána")] == [2]
    assert [f.user_id for f in _match(friends, "an")] == [1, 2, 3]
    assert [f.user_id for f in _match(friends, "LUCIA")] == [1]
    assert _match(friends, "carlos") == [] and _match(friends, " ") == []


def test_a_restricted_member_who_left_stops_counting() -> None:
    import inspect

    from telegram import ChatMember, ChatMemberRestricted

    from bot.telegram.handlers.friends import _gone

    rights = dict.fromkeys(
        (p for p in inspect.signature(ChatMemberRestricted).parameters if p.startswith("can_")),
        False,
    )
    user = {"id": 7, "is_bot": False, "first_name": "Ana"}

    def member(status: str, **more: object) -> ChatMember:
        return ChatMember.de_json({"status": status, "user": user, **more}, None)

    restricted = {**rights, "until_date": 0}
    assert _gone(member("restricted", is_member=False, **restricted))
    assert not _gone(member("restricted", is_member=True, **restricted))
    assert _gone(member("left")) and _gone(member("kicked", until_date=0))
    assert not _gone(member("member"))
