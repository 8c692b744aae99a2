"""fastapp: a Django-style database lifecycle toolkit for Tortoise ORM."""

__version__ = "0.1.0"
