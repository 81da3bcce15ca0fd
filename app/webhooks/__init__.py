"""Webhooks: events recorded in a transactional outbox and delivered to integrators, signed."""
