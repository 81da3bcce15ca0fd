"""Coaching cycles: job-embedded learning of one practice from the district's catalogue."""
