"""Markers of the workflow tests that need more than the default run (registered here)."""


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "slurm: a real run on SLURM (needs a running SLURM with accounting: .ci/slurm/start.sh)"
    )
    config.addinivalue_line(
        "markers", "envproof: builds each conda env as a virtualenv from the package index and runs "
        "the rules in it (python -m pytest -m envproof tests/workflow/test_env_proofs.py)"
    )
