"""Where a database is and how to reach it: URLs and DATABASES entries, raw driver connections."""
