"""The use cases: services over the ports, one module a concern (imports domain and ports)."""
