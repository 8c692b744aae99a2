"""Fan-out: one command on many databases or PostgreSQL schemas (the ``TARGETS`` setting).

* :mod:`~fastapp.targets.declare` reads ``TARGETS`` into named targets and ``--targets`` against
  them;
* :mod:`~fastapp.targets.run` runs one job per target with bounded concurrency in one event
  loop (each target its own Tortoise context, lock and history), a canary stage, stop at the
  first failure or go on, progress through a callback;
* :mod:`~fastapp.targets.last_run` keeps each command's last outcome per target
  (``.fastapp/fanout-last.json``) for ``--only-failed``;
* :mod:`~fastapp.targets.jobs` is what each fanned-out command does on one target.
"""
