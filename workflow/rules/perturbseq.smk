# Rules: perturbseq (placeholder; see docs/methods.md).
