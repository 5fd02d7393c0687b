"""cellhealth dataset (see docs/methods.md)."""
