"""Several server processes (nodes) on one database: node ids and heartbeats, the cluster bus
between nodes, and what travels over it. See docs/high-availability.md."""
