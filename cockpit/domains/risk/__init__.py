"""The risk module's domain (风险管控): its rules and data, without Dash."""
