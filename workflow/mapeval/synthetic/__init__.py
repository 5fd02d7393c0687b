"""Synthetic stand-ins for datasets that cannot be downloaded here: generators that write the
real file schema with planted, known signal (one module per dataset)."""
