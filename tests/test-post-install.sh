#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Post-install test: configure this source tree afresh with a prefix inside a
# temporary directory, `meson install` into it without DESTDIR, and check that
# the post-install steps ran there: the GSettings schemas compiled (and hold our
# keys), the icon cache and the desktop database updated. (test-install.sh
# covers the DESTDIR case, where these steps are skipped.) Everything, the
# build included, stays in the temporary directory.
#
# usage: test-post-install.sh SOURCE_ROOT
set -eu

src=${1:?usage: test-post-install.sh SOURCE_ROOT}
src=$(cd "$src" && pwd)

tmp=$(mktemp -d "${TMPDIR:-/tmp}/chatroom-postinstall.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM
prefix=$tmp/prefix
app_id=io.github.chatroom.ChatRoom

fail=0
bad () { echo "not ok - $*"; fail=1; }
good () { echo "ok - $*"; }

log=$tmp/log
if ! meson setup "$tmp/build" "$src" --prefix="$prefix" -Dgui=true >"$log" 2>&1; then
  cat "$log"; echo "Bail out! meson setup failed"; exit 1
fi
# Build only what is installed: a plain `meson install` first builds every
# target, the tests and benchmarks too, and that was most of this test's time.
installed=$(meson introspect "$tmp/build" --targets | python3 -c '
import json, os, sys
build = sys.argv[1]
for target in json.load(sys.stdin):
    if target["installed"]:
        for name in target["filename"]:
            print(os.path.relpath(name, build))
' "$tmp/build")
# shellcheck disable=SC2086
if ! ninja -C "$tmp/build" $installed >"$log" 2>&1; then
  cat "$log"; echo "Bail out! building the installed targets failed"; exit 1
fi
if ! meson install -C "$tmp/build" --no-rebuild >"$log" 2>&1; then
  cat "$log"; echo "Bail out! meson install failed"; exit 1
fi

for step in glib-compile-schemas update-icon-cache update-desktop-database; do
  if grep -q "Running custom install script '[^']*$step" "$log"; then
    good "post-install ran $step"
  else
    bad "post-install did not run $step"
  fi
done

share=$prefix/share
schemas=$share/glib-2.0/schemas
if [ -f "$schemas/gschemas.compiled" ]; then
  good "gschemas.compiled written"
  if command -v gsettings >/dev/null; then
    keys=$(gsettings --schemadir "$schemas" list-keys "$app_id" || true)
    missing=
    for k in last-address nickname owner-port room-name require-registration history-length \
             local-only window-width window-height window-maximized; do
      echo "$keys" | grep -qx "$k" || missing="$missing $k"
    done
    [ -z "$missing" ] && good "compiled schema has the app's keys" || bad "compiled schema lacks:$missing"
  fi
else
  bad "no gschemas.compiled in $schemas"
fi
[ -f "$share/icons/hicolor/icon-theme.cache" ] && good "icon cache written" || bad "no icon-theme.cache"
[ -f "$share/applications/mimeinfo.cache" ] && good "desktop database updated" || bad "no mimeinfo.cache"

exit $fail
