"""Changing a database: the executor (lock, transactions, data checks, progress callback), the
core of ``migrate`` (create what is missing) and of ``auto_migrate``."""
