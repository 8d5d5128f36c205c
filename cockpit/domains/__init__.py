"""Each module's domain: its datasets, rules and registry entry (MODULE), without Dash."""
