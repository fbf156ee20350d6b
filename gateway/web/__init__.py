"""The admin web page: server-rendered Jinja pages with htmx, signed-in staff sessions and
CSRF tokens, calling the same services as the API (`gateway.web.routes` mounts them)."""
