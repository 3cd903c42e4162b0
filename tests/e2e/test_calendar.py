"""/calendario through the real bot process: the .ics document, and the live link over HTTP."""

from __future__ import annotations

import re
import socket
from datetime import date

import httpx
import pytest
import recurring_ical_events
from icalendar import Calendar

from bot.sim.botapi import BotApiStandIn
from bot.sim.siiau import DEMO_CODE, DEMO_NIP, SiiauSimulator
from bot.telegram.texts import forget as forget_words
from tests.e2e.test_registration import register
from tests.helpers import BotProcess

USER = 6301


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


PORT = free_port()
PUBLIC = f"http://127.0.0.1:{PORT}"  # the operator's HTTPS front, played by the feed itself
LINK = re.compile(re.escape(PUBLIC) + r"/cal/[A-Za-z0-9_-]{43}\.ics")


def ask(botapi: BotApiStandIn, text: str, fragment: str) -> tuple[int, str]:
    asked = botapi.user_says(USER, text)
    return asked, botapi.wait_for_text(USER, fragment, after=asked).text


@pytest.mark.bot_env(CALENDAR_PUBLIC_URL=PUBLIC, CALENDAR_PORT=str(PORT), CALENDAR_HOST="127.0.0.1")
def test_calendario_sends_an_ics_and_a_live_link_that_olvidar_kills(
    bot: BotProcess, botapi: BotApiStandIn, siiau: SiiauSimulator
) -> None:
    asked = botapi.user_says(USER, "/calendario", chat_id=-100777, chat_type="group")
    assert "privado" in botapi.wait_for_text(-100777, "t.me/", after=asked).text.lower()

    register(botapi, USER, DEMO_CODE, DEMO_NIP)
    asked = botapi.user_says(USER, "/calendario")
    document = botapi.wait_for(
        USER, lambda m: m.filename is not None and m.filename.endswith(".ics"), after=asked
    )
    assert document.filename == "horario_202520.ics" and document.document is not None
    assert "Importar" in document.caption and "iPhone" in document.caption
    calendar = Calendar.from_ical(document.document)
    events = calendar.walk("VEVENT")
    assert len(events) == 5, "one event per session of the demo student"
    assert {str(e["SUMMARY"]) for e in events} >= {"SISTEMAS OPERATIVOS", "INGLES IV"}
    week = recurring_ical_events.of(calendar).between(date(2025, 9, 1), date(2025, 9, 7))
    starts = sorted((e["DTSTART"].dt.weekday(), e["DTSTART"].dt.strftime("%H:%M")) for e in week)
    assert starts == [
        (0, "09:00"),
        (0, "11:00"),
        (1, "07:00"),
        (2, "09:00"),
        (2, "11:00"),
        (3, "07:00"),
        (4, "13:00"),
        (5, "17:00"),
    ]

    live = botapi.wait_for_text(USER, "webcal://", after=asked).text
    [url] = LINK.findall(live)
    token = url.rsplit("/", 1)[1].removesuffix(".ics")
    assert f"webcal://127.0.0.1:{PORT}/cal/{token}.ics" in live
    with httpx.Client(timeout=60) as http:
        served = http.get(url)
        assert served.status_code == 200 and served.headers["content-type"].startswith(
            "text/calendar"
        )
        assert served.content == document.document, (
            "the feed and the file are the same stored schedule"
        )
        assert http.get(url, headers={"If-None-Match": served.headers["etag"]}).status_code == 304

        _, again = ask(botapi, "/calendario", "Ya tienes un enlace")
        assert token not in again and "/calendario nuevo" in again

        asked, renewed = ask(botapi, "/calendario nuevo", "webcal://")
        [new_url] = LINK.findall(renewed)
        assert new_url != url
        assert http.get(url).status_code == 404, "the old link is revoked"
        assert http.get(new_url).status_code == 200

        asked = botapi.user_says(USER, "/olvidar")
        confirm = botapi.wait_for_text(USER, "No se puede deshacer", after=asked)
        botapi.user_presses(USER, confirm, forget_words.FORGET_YES)
        botapi.wait_for(
            USER, lambda m: m.message_id == confirm.message_id and m.text == forget_words.FORGOTTEN
        )
        gone = http.get(new_url)
        assert gone.status_code == 404 and gone.content == http.get(url).content
    log = bot.log_text()
    assert "calendar feed refused 404=1" in log, "refusals as a sampled counter"
    for secret in (token, new_url.rsplit("/", 1)[1].removesuffix(".ics")):
        assert secret not in log
