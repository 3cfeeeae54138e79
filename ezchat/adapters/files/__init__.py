"""Where uploaded files' bytes live: local disk (the default), S3, or memory (tests)."""
