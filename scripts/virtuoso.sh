#!/usr/bin/env bash
# Unpack Virtuoso Open Source 7 from Debian's packages into .cache/virtuoso (no system
# install), for the store tests. Safe to run again; prints the path of virtuoso-t.
set -euo pipefail
cd "$(dirname "$0")/.."
root=".cache/virtuoso"
binary="$root/usr/bin/virtuoso-t"
if [ ! -x "$binary" ]; then
  mkdir -p "$root/debs"
  ( cd "$root/debs"
    if ! apt-get download virtuoso-opensource-7-bin virtuoso-opensource-7-common libminizip1 libpcre3 >/dev/null 2>&1; then
      SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
      $SUDO apt-get update -qq
      apt-get download virtuoso-opensource-7-bin virtuoso-opensource-7-common libminizip1 libpcre3 >/dev/null
    fi )
  for deb in "$root"/debs/*.deb; do dpkg -x "$deb" "$root"; done
fi
echo "$PWD/$binary"
