"""The modules' domains: each module's contracts, rules and demo data, without Dash (#17)."""
