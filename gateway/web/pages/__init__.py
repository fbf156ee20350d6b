"""One module per page group; each exposes `ROUTES` (collected by `gateway.web.routes`)."""
