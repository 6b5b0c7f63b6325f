#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Install test: `meson install --destdir` into a temporary directory, then
# check that every file a user needs is there and that the installed programs
# run. Nothing is written outside that directory (besides meson's own
# <build>/meson-logs/install-log.txt): with DESTDIR set, meson skips the
# post-install scripts (schema compile, icon cache, desktop database), and this
# test checks that it did.
#
# usage: test-install.sh BUILD_DIR
set -eu

build=${1:?usage: test-install.sh BUILD_DIR}
build=$(cd "$build" && pwd)

tmp=$(mktemp -d "${TMPDIR:-/tmp}/chatroom-install.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM
destdir=$tmp/root

fail=0
bad () { echo "not ok - $*"; fail=1; }
good () { echo "ok - $*"; }

# The install prefix and directories as this build was configured.
opt () {
  meson introspect --buildoptions "$build" | python3 -c '
import json, sys
name = sys.argv[1]
for o in json.load(sys.stdin):
    if o["name"] == name:
        print(o["value"])
        break
' "$1"
}
abs () {  # a meson directory option relative to the prefix, as an absolute path
  case $1 in /*) echo "$1" ;; *) echo "$prefix/$1" ;; esac
}
prefix=$(opt prefix)
bindir=$(abs "$(opt bindir)")
datadir=$(abs "$(opt datadir)")
localedir=$(abs "$(opt localedir)")
version=$(meson introspect --projectinfo "$build" |
          python3 -c 'import json, sys; print(json.load(sys.stdin)["version"])')
app_id=io.github.chatroom.ChatRoom

# `meson install` builds every target first, so this test also waits for the
# app: until src/ builds `chatroom`, it fails here, on purpose. When all is
# built already (`ninja test` builds everything before it runs the tests, as
# flatpak-builder's run-tests does), skip that step: no ninja inside ninja.
log=$tmp/install.log
rebuild=
if ninja -C "$build" -n 2>/dev/null | grep -q 'no work to do'; then
  rebuild=--no-rebuild
fi
if ! meson install -C "$build" $rebuild --destdir "$destdir" >"$log" 2>&1; then
  cat "$log"
  echo "Bail out! meson install failed"
  exit 1
fi

# Post-install scripts must have been skipped: they would touch the system.
if grep -q 'Skipping custom install script because DESTDIR is set' "$log"; then
  good "post-install scripts skipped under DESTDIR"
else
  grep -i 'script' "$log" || true
  bad "meson did not report skipping the post-install scripts"
fi
for f in "$datadir/glib-2.0/schemas/gschemas.compiled" \
         "$datadir/icons/hicolor/icon-theme.cache" \
         "$datadir/applications/mimeinfo.cache"; do
  if [ -e "$destdir$f" ]; then bad "post-install output present: $f"; fi
done

for f in \
  "$bindir/chatroom" \
  "$bindir/chatroomd" \
  "$bindir/chatroom-cli" \
  "$datadir/applications/$app_id.desktop" \
  "$datadir/metainfo/$app_id.metainfo.xml" \
  "$datadir/icons/hicolor/scalable/apps/$app_id.svg" \
  "$datadir/icons/hicolor/symbolic/apps/$app_id-symbolic.svg" \
  "$datadir/glib-2.0/schemas/$app_id.gschema.xml" \
  "$localedir/zh_CN/LC_MESSAGES/chatroom.mo" \
  "$prefix/lib/systemd/system/chatroomd.service"
do
  if [ -f "$destdir$f" ]; then good "installed $f"; else bad "missing $f"; fi
done

for f in "$bindir/chatroom" "$bindir/chatroomd" "$bindir/chatroom-cli"; do
  if [ -f "$destdir$f" ] && [ ! -x "$destdir$f" ]; then bad "not executable: $f"; fi
done

# The installed desktop file points at the installed icon and program.
desktop=$destdir$datadir/applications/$app_id.desktop
if [ -f "$desktop" ]; then
  grep -q "^Icon=$app_id\$" "$desktop" && good "desktop Icon= is the app id" || bad "desktop Icon= is not $app_id"
  grep -q '^Exec=chatroom$' "$desktop" && good "desktop Exec=chatroom" || bad "desktop Exec= is not chatroom"
fi

# The installed schema compiles (into our temp dir, not next to it).
schemas=$destdir$datadir/glib-2.0/schemas
if [ -d "$schemas" ] && command -v glib-compile-schemas >/dev/null; then
  if glib-compile-schemas --strict --targetdir="$tmp" "$schemas"; then
    good "installed schema compiles"
  else
    bad "installed schema does not compile"
  fi
fi

# The installed catalog is a valid zh_CN catalog.
mo=$destdir$localedir/zh_CN/LC_MESSAGES/chatroom.mo
if [ -f "$mo" ] && command -v msgunfmt >/dev/null; then
  if msgunfmt "$mo" | grep -q '^"Language: zh_CN'; then good "chatroom.mo is zh_CN"; else bad "chatroom.mo is not a zh_CN catalog"; fi
fi

# The installed programs run, with no display and stdin at EOF: --version and
# --help must need neither a window system nor a schema nor a terminal.
run () {
  env -u DISPLAY -u WAYLAND_DISPLAY GSETTINGS_BACKEND=memory \
      timeout 20 "$@" </dev/null >"$tmp/out" 2>&1
}
chatroom=$destdir$bindir/chatroom
if [ -x "$chatroom" ]; then
  if run "$chatroom" --version && grep -q "$version" "$tmp/out"; then
    good "chatroom --version: $(head -n 1 "$tmp/out")"
  else
    cat "$tmp/out"
    bad "installed chatroom --version failed or did not print $version"
  fi
fi
for p in chatroomd chatroom-cli; do
  if [ -x "$destdir$bindir/$p" ]; then
    if run "$destdir$bindir/$p" --help && [ -s "$tmp/out" ]; then
      good "$p --help"
    else
      cat "$tmp/out"
      bad "installed $p --help failed"
    fi
  fi
done

# The systemd unit: its syntax and its hardening, against the installed
# chatroomd (systemd-analyze wants ExecStart to exist, so point it there).
unit=$destdir$prefix/lib/systemd/system/chatroomd.service
if [ -f "$unit" ]; then
  grep -q "^ExecStart=$bindir/chatroomd " "$unit" && good "unit runs $bindir/chatroomd" ||
    bad "unit ExecStart is not $bindir/chatroomd"
  for k in DynamicUser=yes StateDirectory=chatroom NoNewPrivileges=yes ProtectSystem=strict \
           'CapabilityBoundingSet=$'; do
    grep -q "^$k" "$unit" || bad "unit lacks $k"
  done
  if command -v systemd-analyze >/dev/null && [ -x "$destdir$bindir/chatroomd" ]; then
    sed "s|^ExecStart=$bindir/|ExecStart=$destdir$bindir/|" "$unit" >"$tmp/chatroomd.service"
    if systemd-analyze verify --man=no "$tmp/chatroomd.service"; then
      good "systemd-analyze verify chatroomd.service"
    else
      bad "systemd-analyze verify chatroomd.service"
    fi
  else
    echo "# systemd-analyze or the installed chatroomd missing: unit not verified"
  fi
fi

# chatroomd as the unit runs it: standard input at EOF (/dev/null), a data dir
# of its own, stopped with SIGTERM, which must end it cleanly (exit 0). On the
# loopback address only; the unit itself listens on [::].
chatroomd=$destdir$bindir/chatroomd
if [ -x "$chatroomd" ]; then
  port=$(python3 -c 'import socket; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  mkdir -p "$tmp/state"
  "$chatroomd" --listen "127.0.0.1:$port" --data-dir "$tmp/state" </dev/null >"$tmp/d.out" 2>&1 &
  pid=$!
  sleep 2
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid"
    status=0
    wait "$pid" || status=$?
    if [ "$status" -eq 0 ]; then
      good "chatroomd runs with stdin at EOF and exits 0 on SIGTERM"
    else
      cat "$tmp/d.out"; bad "chatroomd exited $status on SIGTERM"
    fi
  else
    status=0
    wait "$pid" || status=$?
    cat "$tmp/d.out"; bad "chatroomd stopped by itself (exit $status) with stdin at EOF"
  fi
fi

# Nothing outside the prefix was installed.
outside=$(cd "$destdir" && find . -type f | sed 's|^\.||' | grep -v "^$prefix/" || true)
if [ -n "$outside" ]; then
  bad "files installed outside $prefix: $outside"
else
  good "everything under $prefix"
fi

exit $fail
