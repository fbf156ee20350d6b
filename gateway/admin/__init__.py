"""Practices and who works in them, payers, connectors, notifications, audit: the services
behind the admin API and CLI."""
