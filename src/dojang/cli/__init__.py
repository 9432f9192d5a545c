"""Command line: `dojang ...`."""
