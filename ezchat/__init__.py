"""EZChat: a self-hosted chat backend (REST + WebSocket) on Tornado."""

__version__ = "0.1.0"
