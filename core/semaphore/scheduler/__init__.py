"""The scheduler: fires cron schedules, each fire time exactly once across server processes."""
