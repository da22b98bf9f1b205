"""The console's screens: overview, transactions, webhooks, events, keys & audit (switched with 1–5) and help."""
