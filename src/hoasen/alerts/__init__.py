"""Saved searches and watches on the coverage, and their delivery (issue 15)."""
