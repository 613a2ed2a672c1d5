"""Task alerts to Microsoft Teams (channel ``microsoft_teams``).

Not functional yet: this package implements no hook. It exists so that the distribution, its entry
point and its tests are in place; a later release adds:

* a notifier for Microsoft Teams: posts an Adaptive Card (task, status, task id, link) to a
  workflow/webhook URL when a task of a project with alerts turned on finishes
* configuration as in the original Semaphore: ``microsoft_teams_alert`` /
  ``SEMAPHORE_MICROSOFT_TEAMS_ALERT`` and ``microsoft_teams_url`` /
  ``SEMAPHORE_MICROSOFT_TEAMS_URL``

Importing this package must stay cheap: heavy libraries are imported inside the methods that use
them, never at module level (the smoke test checks this).
"""
