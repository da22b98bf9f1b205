"""The console's screens: overview, transactions, webhooks, events (switched with 1–4) and help."""
