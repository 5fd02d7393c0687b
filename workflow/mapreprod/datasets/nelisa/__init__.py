"""nelisa dataset (see docs/methods.md)."""
