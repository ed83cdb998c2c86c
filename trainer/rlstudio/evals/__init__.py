"""`rlstudio eval` / `rlstudio score`: evaluate checkpoints of a run (docs/run-format.md, "Evaluations")."""
