"""cpg0004 dataset (see docs/methods.md)."""
