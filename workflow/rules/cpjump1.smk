# Rules: cpjump1 (placeholder; see docs/methods.md).
