"""Settings of the example blog project: SQLite by default, DATABASE_URL to use a server."""

from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent

INSTALLED_APPS = [
    "users",
    "blog",
]

# The same as the URL "sqlite://blog.sqlite3" run from this folder (a Tortoise URL: the path
# starts right after "sqlite://"); DATABASE_URL=postgres://user:pass@host:5432/blog or
# mysql://user:pass@host:3306/blog moves the example to a server.
DATABASES = {
    "default": {"ENGINE": "sqlite", "NAME": str(BASE_DIR / "blog.sqlite3")},
}

# The example's fixtures (fixtures/users.jsonc, ...).
FIXTURE_DIRS = [BASE_DIR / "fixtures"]

USE_TZ = True
TIME_ZONE = "UTC"
