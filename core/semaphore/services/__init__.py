"""Domain logic shared by the API, the UI, the CLI, the scheduler and the runner."""
