"""City leadership cockpit (城市领导驾驶舱) for Dash."""
