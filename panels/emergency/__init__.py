"""应急指挥: the emergency-command screen (the module page is built in its own issue)."""
