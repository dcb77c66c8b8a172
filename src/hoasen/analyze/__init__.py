"""Text analysis: cleaning, language detection, deduplication."""
