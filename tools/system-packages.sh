#!/usr/bin/env bash
# What the tests need from Debian beside Python, installed with apt-get when missing (make test
# runs this first): Chromium, the real browser the HTML audit report is checked in, and the
# PostgreSQL server the store's tests start a private instance of. Already there: nothing is
# done. Not root and no sudo, or apt-get fails: it says so, and the tests that need the missing
# program are skipped with the reason.
set -u
need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null || command -v initdb >/dev/null 2>&1 || need+=(postgresql)
[ ${#need[@]} -eq 0 ] && exit 0
sudo=()
if [ "$(id -u)" != 0 ]; then
    if ! command -v sudo >/dev/null 2>&1 || ! sudo -n true 2>/dev/null; then
        echo "system-packages: cannot install ${need[*]} (not root, no sudo): the tests needing them will be skipped" >&2
        exit 0
    fi
    sudo=(sudo -n)
fi
echo "system-packages: installing ${need[*]} with apt-get" >&2
export DEBIAN_FRONTEND=noninteractive
if ! { "${sudo[@]}" apt-get update -qq && "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${need[@]}"; } >&2; then
    echo "system-packages: apt-get could not install ${need[*]}: the tests needing them will be skipped" >&2
fi
exit 0
