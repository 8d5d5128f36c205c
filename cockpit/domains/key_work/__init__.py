"""The key_work module's domain (重点工作): its rules and data, without Dash."""
