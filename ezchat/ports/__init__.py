"""Interfaces the services (ezchat/services) need, as ``typing.Protocol`` classes speaking domain types."""
