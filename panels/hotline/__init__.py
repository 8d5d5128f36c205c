"""12345 热线: ticket KPIs and spikes (the module's page is built in its own issue)."""
