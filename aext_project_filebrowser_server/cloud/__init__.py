"""The cloud side: the async client for the Project API and its local replica."""
