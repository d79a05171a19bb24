#!/bin/sh
# The container image's entrypoint (Dockerfile, docs/deployment.md).
#
#   (no arguments), serve [options]    prodmanager serve: in standalone mode (PM_STANDALONE, the
#                                      default) it migrates the database, upgrades a 0.22 one in
#                                      place, and runs the worker in a thread
#   migrate, worker, import, token...  that prodmanager command, with its options
#   -x, --option ...                   prodmanager serve with these options
#   make run, make database-upgrade    0.22's commands: serve, and migrate --upgrade-0.22
#   sh, python, any executable         run as given
#
# The configuration is the environment only: the PM_* variables, and SERVER (or HOST), PORT,
# WORKERS and THREADS as 0.22's image read them (prodmanager serve reads them itself).
set -eu

if [ "$#" -eq 0 ]; then
  set -- serve
fi

case "$1" in
  -*)
    set -- serve "$@"
    ;;
  make)
    # 0.22's image ran `make run`; its Kubernetes init container ran `make database-upgrade`.
    case "${2:-}" in
      run)
        shift 2
        echo "prodmanager-entrypoint: 0.22's 'make run' is 'serve' now" >&2
        set -- serve "$@"
        ;;
      database-upgrade)
        shift 2
        echo "prodmanager-entrypoint: 0.22's 'make database-upgrade' is 'migrate --upgrade-0.22' now" >&2
        set -- migrate --upgrade-0.22 "$@"
        ;;
    esac
    ;;
esac

if command -v "$1" >/dev/null 2>&1; then
  # An executable (sh, python, prodmanager itself): run as given.
  exec "$@"
fi

# A prodmanager command. Without PM_DATABASE_URI the database is the SQLite file of the instance
# folder, the image's volume: one that this user cannot write would only end in SQLite's "unable to
# open database file", so say what to do instead.
if [ -z "${PM_DATABASE_URI:-}" ]; then
  instance="${PM_INSTANCE_PATH:-instance}"
  mkdir -p "$instance" 2>/dev/null || true
  if [ ! -d "$instance" ] || [ ! -w "$instance" ]; then
    echo "error: the instance folder $instance (PM_INSTANCE_PATH, the image's volume) is not writable by" \
      "user $(id -u): make that user its owner (e.g. chown -R $(id -u) on the host folder), or set" \
      "PM_DATABASE_URI to a database server" >&2
    exit 1
  fi
fi

exec prodmanager "$@"
