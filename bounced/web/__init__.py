"""``bounced web``: the HTTP side of bounced (API, change feed, webhooks), a process apart from the
SMTP daemon so a slow HTTP client can never delay a 250. ``app.create_app`` builds the ASGI app."""
