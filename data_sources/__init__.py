"""The data-source adapter layer: interface, registry and one module per kind of source."""
