"""Built-in plugins: ordinary plugins that the core registers before any entry point."""
