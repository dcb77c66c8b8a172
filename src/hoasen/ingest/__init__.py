"""Getting news in: transports (files, HTTP, feeds), formats and charsets, and the pipeline."""
