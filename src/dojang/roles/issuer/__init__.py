"""Issuing agency role: turns registry data into signed SD-JWT VCs of a catalogue kind."""

from dojang.roles.issuer._issuer import IssuedCredential, Issuer

__all__ = ["IssuedCredential", "Issuer"]
