"""Tornado request handlers, thin: parse, call a service, map errors."""
