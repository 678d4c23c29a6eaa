#!/bin/sh
# Creates .env for docker-compose.yml once: KEY_ENCRYPTION_KEY (it encrypts the signing keys in the
# database; a different key on a later start stops Latchkey with "cannot decrypt signing keys") and
# POSTGRES_PASSWORD (fixed when the Postgres volume is first initialised). Mode 0600. Refuses to
# overwrite an existing file: back .env up with the database, and never regenerate it.
# Usage: scripts/init-compose-env.sh [path, default .env beside docker-compose.yml]
set -eu
target=${1:-"$(dirname "$0")/../.env"}
if [ -e "$target" ]; then
  echo "$target already exists: not overwritten (its KEY_ENCRYPTION_KEY decrypts the signing keys already stored)." >&2
  exit 1
fi
umask 077
key=$(head -c 32 /dev/urandom | base64 | tr -d '\n')
password=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
tmp="$target.tmp.$$"
printf '# Made by scripts/init-compose-env.sh. Back this file up with the database: without this KEY_ENCRYPTION_KEY Latchkey cannot decrypt its signing keys.\nKEY_ENCRYPTION_KEY=%s\nPOSTGRES_PASSWORD=%s\n' "$key" "$password" > "$tmp"
# ln fails if the target appeared meanwhile: never replaces an existing file.
if ! ln "$tmp" "$target" 2>/dev/null; then
  rm -f "$tmp"
  echo "$target already exists: not overwritten." >&2
  exit 1
fi
rm -f "$tmp"
echo "wrote $target (mode 0600): back it up with the database"
