"""The hotline module's domain (12345热线): its rules and data, without Dash."""
