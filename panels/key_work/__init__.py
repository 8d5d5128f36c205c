"""重点工作: task status lights (the module's page is built in its own issue)."""
