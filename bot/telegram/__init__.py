"""Limber on Telegram (python-telegram-bot v22), one room per job.

    app.py        the wiring: build_application (handlers in their order), run
    lifecycle.py  start, serve (polling or the webhook), stop within 10 s; the command menu
    handlers.py   admission (group -1), commands, questions, buttons, inline mode, apologies
    buttons.py    More and 👍/👎: callback data, its tag, the keyboard
    filters.py    which messages are for the bot (groups: a mention or a reply)
    delivery.py   sending: retries, the plain-text fallback, "typing" only when slow
    limits.py     the per-user limit and the pacing of every request
    dispatch.py   one task per update, a cap per chat, the inbox marked answered
    polling.py    the getUpdates loop (a batch is stored before it is confirmed)
    webhook.py    the hardened webhook server and its options
    inbox.py      the durable journal of updates (SQLite, WAL)
    jobs.py       inbox pruning, retention, index reloads while the bot runs
    state.py      what the handlers share (``context.limber``)
    logs.py       logging, with every secret blanked out (also the CLI's excepthook)

This module imports nothing, so that the CLI can use ``bot.telegram.logs``
without loading python-telegram-bot.
"""
