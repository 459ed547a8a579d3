"""The register: every SMS record in SQL (SQLite by default, PostgreSQL for scale), with an
append-only history of changes and lifecycle transitions checked in one place."""
