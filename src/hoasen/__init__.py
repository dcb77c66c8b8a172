"""hoasen: a self-hosted multilingual foreign-information desk."""

__version__ = "0.1.0"
