"""Every word the bot says, in Spanish: short, friendly, one next step each.

Wording is reviewed in this package and nowhere else, one module per feature, mirroring
`bot/telegram/handlers/` (`register`, `schedule`, `status`, `weekly`, `cupos`, `calendar`,
`daily`, `everyday`, `grades`, `planner`, `friends`, `forget`, `start`, `ops`…), plus `common`
for what they share: days and dates, the refusals of any request, and the Spanish of each error
(`common.error_text`). Handlers pick a text; they never write one. A caller imports the module
of its own feature as `words` and any other by name (`common`, `safety`, or `<feature>_words`).
Text modules import only `bot.schedule` models, `bot.core` data and `bot.services` types.
"""
