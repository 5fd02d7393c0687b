"""Simulation benchmark (Fig 2, S2-S5): data generator, mAP and the baselines."""
