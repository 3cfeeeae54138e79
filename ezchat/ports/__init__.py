"""Interfaces the services (ezchat/services) need: typing.Protocol classes speaking domain
types."""
