"""``fastapp.contrib.contenttypes``: one :class:`~.models.ContentType` row per installed model,
kept in step by a post-migrate hook (:mod:`.hooks`); stale rows are reported, and deleted by
``fastapp remove_stale_contenttypes``."""
