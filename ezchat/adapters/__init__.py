"""Adapters: implementations of the ports, each owning its driver."""
