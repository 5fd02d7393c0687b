# Rules: mitocheck (placeholder; see docs/methods.md).
