"""Settings of the example blog project: SQLite by default, DATABASE_URL to use a server."""

from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent

INSTALLED_APPS = [
    "users",
    "blog",
]

DATABASES = {
    "default": {"ENGINE": "sqlite", "NAME": str(BASE_DIR / "blog.sqlite3")},
}

# The example's fixtures (fixtures/users.jsonc, ...).
FIXTURE_DIRS = [BASE_DIR / "fixtures"]

USE_TZ = True
TIME_ZONE = "UTC"
