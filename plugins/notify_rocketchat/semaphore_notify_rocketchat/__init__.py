"""Task alerts to Rocket.Chat (channel ``rocketchat``).

Not functional yet: this package implements no hook. It exists so that the distribution, its entry
point and its tests are in place; a later release adds:

* a notifier for the channel ``rocketchat``: posts a message with an attachment to an incoming
  webhook URL when a task of a project with alerts turned on finishes
* configuration as in the original Semaphore: ``rocketchat_alert`` / ``SEMAPHORE_ROCKETCHAT_ALERT``
  and ``rocketchat_url`` / ``SEMAPHORE_ROCKETCHAT_URL``

Importing this package must stay cheap: heavy libraries are imported inside the methods that use
them, never at module level (the smoke test checks this).
"""
