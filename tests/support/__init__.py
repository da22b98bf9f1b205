"""Test support: real services (PostgreSQL, Redis) and real daemon processes, started per session."""
