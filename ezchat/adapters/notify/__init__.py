"""Notification channels: a signed webhook, and Web Push through the browsers' push services."""
