"""Entry points: the Tornado app factory, HTTP and WebSocket handlers, and ``main``."""
