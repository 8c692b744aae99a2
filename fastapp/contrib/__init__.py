"""Installable apps that ``migrate`` keeps in step with the models: list them in
``INSTALLED_APPS`` (``"fastapp.contrib.contenttypes"``, ``"fastapp.contrib.auth"``)."""
