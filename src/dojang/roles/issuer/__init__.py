"""Issuing agency role: turns registry data into signed SD-JWT VCs of a catalogue kind."""
