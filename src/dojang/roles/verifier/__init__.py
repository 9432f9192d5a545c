"""Verifier role: one pipeline of named checks, each with its own verdict line."""
