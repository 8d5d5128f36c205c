"""The emergency module's domain (应急指挥): its rules and data, without Dash."""
