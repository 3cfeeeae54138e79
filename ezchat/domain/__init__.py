"""The chat domain: entities, events, rules, services. Imports nothing outside itself."""
