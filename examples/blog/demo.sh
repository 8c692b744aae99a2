#!/bin/sh
# `make demo`: the example blog project on the embedded SQLite default, from an empty database.
set -e
rm -f blog.sqlite3 blog.sqlite3-wal blog.sqlite3-shm

echo "== fastapp migrate --dry-run   (the SQL it would run)"
fastapp migrate --dry-run | head -n 12
echo "   ..."
echo
echo "== fastapp migrate             (create the tables of apps users and blog)"
fastapp migrate
echo
echo "== fastapp migrate             (again: nothing to do)"
fastapp migrate
