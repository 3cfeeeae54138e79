"""The one HTTP client for URLs the server was given (Web Push endpoints, webhooks): addresses
guarded, answers capped, times bounded, each target waiting only for itself."""
