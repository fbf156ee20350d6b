"""The admin API (Litestar): one folder per domain, each with a `controller.py` whose `ROUTES`
the app collects. Handlers call services; services do not know HTTP."""
