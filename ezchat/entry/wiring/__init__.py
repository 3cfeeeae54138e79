"""The builders the composition root (entry/app.py) calls: the use cases, the realtime side."""
