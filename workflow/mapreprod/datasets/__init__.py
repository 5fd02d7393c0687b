"""One subpackage per dataset, each with the same parts (docs/methods.md, "Dataset contract")."""
