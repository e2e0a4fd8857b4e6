#!/usr/bin/env bash
# The Debian packages `make test` needs beyond Python: Chromium for the browser
# tests, and PostgreSQL / Redis server programs when none is configured or running.
# Installs the missing ones when run as root with apt-get; otherwise names them.
set -euo pipefail

listening() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium fonts-liberation)
if [ -z "${DATABASE_URL:-}" ] && ! listening 5432 && ! compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null \
   && ! command -v initdb >/dev/null 2>&1; then
  need+=(postgresql)
fi
if [ -z "${CELERY_BROKER_URL:-}" ] && ! listening 6379 && ! command -v redis-server >/dev/null 2>&1; then
  need+=(redis-server)
fi
[ ${#need[@]} -eq 0 ] && exit 0

if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing Debian packages: ${need[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
else
  echo "make test needs these Debian packages; install them with:"
  echo "  sudo apt-get install ${need[*]}"
  exit 1
fi
