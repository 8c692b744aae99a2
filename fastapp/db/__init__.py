"""Database layer: dialects, generated DDL, the abstract Schema, diff, execution."""
