"""Versioned migrations on Tortoise 1.x's own format.

Files are Tortoise migration modules (``<app>/migrations/0001_initial.py``) and the applied
state is Tortoise's ``tortoise_migrations`` table, so a project can switch between the
``tortoise`` CLI and ``fastapp`` at any time. Tortoise's loader, graph, recorder, operations,
schema editors and writer do the work; fastapp adds, one module per concern:

* :mod:`.loading`  -- which apps have migrations, loading the graph with errors that name
  the file and line;
* :mod:`.files`    -- the graph read from the files without running them (the listings);
* :mod:`.state`    -- what is applied (with times), heads, missing files;
* :mod:`.planning` -- turning ``head``, ``APP:NAME``, ``+N``, ``-N``, ``base`` into steps;
* :mod:`.applying` -- running steps under auto_migrate's migration lock, all or nothing per
  migration where the backend has transactional DDL;
* :mod:`.writing`  -- makemigrations with declared renames only and destructive markers,
  merge migrations;
* :mod:`.verify`   -- the database against the models, with fastapp's own diff engine.

Verified against tortoise-orm 1.1.9; a few of its executor's underscored helpers are reused
(plan, project state, schema editor choice), so a Tortoise upgrade must re-run these tests.
"""
