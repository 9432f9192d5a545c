"""Interoperability tests: dojang against the `sd-jwt` reference package, in both directions."""
