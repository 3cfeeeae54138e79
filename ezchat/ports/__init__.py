"""Interfaces the domain services need, as ``typing.Protocol`` classes speaking domain types."""
