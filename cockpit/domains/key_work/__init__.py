"""The key_work module's domain: its data, rules and config, without Dash."""
