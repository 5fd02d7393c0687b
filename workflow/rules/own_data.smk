# Rules: own_data (placeholder; see docs/methods.md).
