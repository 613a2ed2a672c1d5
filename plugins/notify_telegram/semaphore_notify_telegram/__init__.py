"""Task alerts to Telegram (channel ``telegram``).

Not functional yet: this package implements no hook. It exists so that the distribution, its entry
point and its tests are in place; a later release adds:

* a notifier for the channel ``telegram``: sends an HTML message through the Bot API when a task of
  a project with alerts turned on finishes; a project's ``alert_chat`` overrides the chat
* configuration as in the original Semaphore: ``telegram_alert``, ``telegram_chat``,
  ``telegram_token`` (``SEMAPHORE_TELEGRAM_ALERT``, ``_CHAT``, ``_TOKEN``)

Importing this package must stay cheap: heavy libraries are imported inside the methods that use
them, never at module level (the smoke test checks this).
"""
