"""The contacts module's domain (一键直联): its rules and data, without Dash."""
