"""``fastapp.contrib.auth``: users (Argon2id password hashes), groups and permissions, synced
after every migration; ``fastapp createsuperuser`` / ``changepassword``; the FastAPI
dependency :func:`fastapp.contrib.auth.web.require_permission`. Needs
``fastapp.contrib.contenttypes`` installed too (a permission belongs to a content type)."""
