"""The task engine: the database queue, workspaces, the log pipeline and the job runner."""
