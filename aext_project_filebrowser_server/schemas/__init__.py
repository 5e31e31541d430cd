"""Pydantic models: the cloud's JSON, the local store's view, files, REST and WebSocket bodies."""
