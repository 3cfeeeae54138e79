"""Real-time delivery: frames, per-connection outboxes, and the hub that fans events out."""
