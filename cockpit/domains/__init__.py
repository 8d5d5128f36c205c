"""Each module's domain (contracts, queries, rules, config): no Dash, no plotly."""
