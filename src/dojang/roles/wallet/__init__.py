"""Wallet role: hold credentials and present chosen claims to a recipient."""
