"""SQL text from values: ``ddl`` writes a Schema as CREATE statements, ``plan`` renders a
Plan's ops as the statements that apply it; one module per dialect in each."""
