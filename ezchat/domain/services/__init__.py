"""Domain services: the use cases, one module a concern."""
