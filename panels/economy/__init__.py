"""经济运行: indicator semantics (the module's page is built in its own issue)."""
