"""A local replica of the cloud Project API, for development and tests."""
