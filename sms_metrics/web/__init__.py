"""Pages for people: sign-in, home, the register (every record kind from its declaration), reports and
the public status page. Server-rendered with Jinja2; no JavaScript is needed. ``pages.install`` wires
them into the app."""
