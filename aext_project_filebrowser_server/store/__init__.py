"""The SQLite store: models, engine, migrations and one CRUD module per entity."""
