"""One package per cockpit module: layout, thin callbacks, pure transforms and figures."""
