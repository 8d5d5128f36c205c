"""The data_quality module's domain: its data, rules and config, without Dash."""
