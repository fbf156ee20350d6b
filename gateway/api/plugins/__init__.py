"""`GET /api/plugins`: which plugins this gateway runs."""
