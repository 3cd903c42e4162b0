"""The grade notifier tells the operator about a changed grade page once an hour, not once per
student per poll (10,000 students polled every few hours would be 10,000 messages)."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.siiau.errors import LayoutChanged
from bot.telegram.grades_notifier import TelegramGradeNotifier


@dataclass
class _Bot:
    sent: list[tuple[int, str]] = field(default_factory=list)

    async def send_message(self, chat_id: int, text: str) -> None:
        self.sent.append((chat_id, text))


def _changed(step: str) -> LayoutChanged:
    error = LayoutChanged("boleta table not found", "<table>", marker="NRC")
    error.step = step
    return error


async def test_a_layout_change_is_told_to_the_operator_once_an_hour_per_page() -> None:
    bot, now = _Bot(), [1000.0]
    notifier = TelegramGradeNotifier(bot, [77], clock=lambda: now[0])  # type: ignore[arg-type]
    for _ in range(5):
        await notifier.send_operator_notice(_changed("boleta page"))
    await notifier.send_operator_notice(_changed("kardex page"))
    assert len(bot.sent) == 2
    now[0] += 3601
    await notifier.send_operator_notice(_changed("boleta page"))
    assert len(bot.sent) == 3 and all(chat == 77 for chat, _ in bot.sent)
