"""The overview module's domain: its data, rules and config, without Dash."""
