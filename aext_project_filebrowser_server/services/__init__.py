"""Use cases as plain async functions: no Tornado here."""
