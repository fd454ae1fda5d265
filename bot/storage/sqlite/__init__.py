"""The SQLite implementation of the services' ports: SQL per aggregate, one class each."""
