"""The economy module's domain (经济运行): its rules and data, without Dash."""
