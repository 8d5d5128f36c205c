"""风险管控: warnings and early warning (the module page is built in its own issue)."""
