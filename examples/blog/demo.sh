#!/bin/sh
# `make demo`: the example blog project on the embedded SQLite default, from an empty database.
# Every step must succeed, except those run through `expect`, which must exit with the status
# and print the line they are shown for: any crash or other status stops the demo (non-zero).
set -e
rm -f blog.sqlite3 blog.sqlite3-wal blog.sqlite3-shm

# expect STATUS TEXT COMMAND...: run COMMAND, show its output, and stop the demo unless it
# exited with STATUS, printed TEXT, and printed no traceback (a crash also exits 1).
expect() {
    want=$1 text=$2
    shift 2
    set +e
    "$@" > demo-step.out 2>&1
    got=$?
    set -e
    cat demo-step.out
    if [ "$got" -ne "$want" ] || ! grep -qF -- "$text" demo-step.out || grep -q Traceback demo-step.out; then
        rm -f demo-step.out
        echo "demo.sh: \`$*\` exited with status $got; expected $want and \"$text\": stopping" >&2
        exit 1
    fi
    rm -f demo-step.out
    echo "(exit status $got, as expected)"
}

echo "== fastapp migrate --dry-run   (the SQL it would run)"
fastapp migrate --dry-run > demo-plan.sql  # not piped: a pipe's status would be head's
head -n 12 demo-plan.sql
rm -f demo-plan.sql
echo "   ..."
echo
echo "== fastapp migrate             (create the tables of apps users and blog)"
fastapp migrate
echo
echo "== fastapp migrate             (again: nothing to do)"
fastapp migrate
echo
echo "== fastapp auto_migrate --check   (models and database agree: exit 0)"
fastapp auto_migrate --check
echo
echo "== fastapp loaddata users blog (the example's fixtures/*.jsonc; lookups, M2M, a self reference)"
fastapp loaddata users blog
echo
echo "== fastapp loaddata users blog (again: records with a pk update their rows)"
fastapp loaddata users blog
echo
echo "== fastapp dumpdata blog.Post --indent 2"
fastapp dumpdata blog.Post --indent 2
echo
echo "== fastapp dumpdata -o demo-dump.jsonl; loaddata it back into a fresh database; compare"
fastapp dumpdata -o demo-dump.jsonl
rm -f roundtrip.sqlite3
DATABASE_URL=sqlite://roundtrip.sqlite3 fastapp migrate > /dev/null
DATABASE_URL=sqlite://roundtrip.sqlite3 fastapp loaddata demo-dump.jsonl
DATABASE_URL=sqlite://roundtrip.sqlite3 fastapp dumpdata -o roundtrip.jsonl
cmp demo-dump.jsonl roundtrip.jsonl
echo "identical: $(wc -l < roundtrip.jsonl) records"
rm -f demo-dump.jsonl roundtrip.jsonl roundtrip.sqlite3
echo
echo "== someone changes the database by hand: drops an index, adds a column"
python -c "import sqlite3; c = sqlite3.connect('blog.sqlite3'); c.execute('DROP INDEX idx_blog_post_status_a05a9b'); c.execute('ALTER TABLE blog_tag ADD COLUMN legacy TEXT')"
echo
echo "== fastapp auto_migrate --check   (drift: exit 1)"
expect 1 "differs from the desired schema" fastapp auto_migrate --check
echo
echo "== fastapp auto_migrate --dry-run (the plan: SQL only)"
fastapp auto_migrate --dry-run
echo
echo "== fastapp auto_migrate --yes     (refuses: dropping blog_tag.legacy destroys data)"
expect 1 "refusing 1 destructive change(s)" fastapp auto_migrate --yes
echo
echo "== fastapp auto_migrate --yes --allow-destructive"
fastapp auto_migrate --yes --allow-destructive
fastapp auto_migrate --check
echo
echo "== fastapp export_schema --tables 'blog_t*'"
fastapp export_schema --tables 'blog_t*'
echo
echo "== fastapp reverse_generation blog_tag   (model code from a table)"
fastapp reverse_generation blog_tag
echo
echo "== the same project as a FastAPI application (main.py: same settings, a transaction per request)"
echo "   serve it from examples/blog with: uvicorn main:app   (then GET http://127.0.0.1:8000/posts)"
