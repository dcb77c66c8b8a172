"""Quality evaluations run by `make eval` (see eval/run.py)."""
