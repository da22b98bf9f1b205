"""The merchant console: a Textual app that talks to a paygate daemon over HTTP only.

It never imports the database or the server: everything it shows comes from the merchant API,
exactly what a merchant's own tooling could see.
"""
