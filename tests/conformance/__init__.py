"""Conformance tests: dojang against published SD-JWT and SD-JWT VC vectors kept in tests/assets."""
