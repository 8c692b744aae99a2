"""SQL text from values: ``ddl`` writes a Schema as CREATE statements, ``plan`` renders a
Plan's ops as the statements that apply it (one module per dialect in each); ``naming`` is
the one rule both use for indexes and constraints the schema leaves unnamed."""
