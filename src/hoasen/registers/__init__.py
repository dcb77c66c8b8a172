"""Registers the office keeps beside the coverage: partners, agreements and their history."""
