"""The scaffolder: ``startproject``, ``startapp`` and ``generate_crud`` as plans of files
(:mod:`fastapp.scaffold.files`), computed in full and validated before anything is written.
Templates are package data under ``templates/``."""
