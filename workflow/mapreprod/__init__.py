"""mapreprod: the paper's code around the `mapeval` engine.

Reproduces Kalinin et al. 2025 (the mAP framework) and the CPJUMP1 benchmark: simulations,
preprocessing wrappers (pycytominer), downloads, plotting, the figure registry, the paper's
reported values, and one subpackage per dataset under ``mapreprod.datasets``, each with the same
parts (see docs/methods.md, "Dataset contract").
"""
