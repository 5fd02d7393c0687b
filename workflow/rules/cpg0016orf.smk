# Rules: cpg0016orf (placeholder; see docs/methods.md).
