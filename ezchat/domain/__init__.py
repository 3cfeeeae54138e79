"""The chat domain: entities, values, commands and events, rules, errors. Imports nothing of
ezchat outside itself (the services that need ports live in ezchat/services)."""
