#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
#
# The strongest check of the Flatpak manifest that works offline (a real build
# needs the GNOME runtime, which cannot be downloaded here):
#   1. flatpak-builder parses it: G_DEBUG=fatal-warnings turns unknown keys
#      and wrong types into failures;
#   2. its id, command, runtime, sdk, finish-args and modules are the ones the
#      project needs; every url source carries a sha256, every local source
#      exists;
#   3. flatpak-builder --download-only fetches the local sources (a missing
#      path fails here). url sources would need the network: they are checked
#      by their declared sha256 only (step 2).
# Everything flatpak-builder writes goes to a temporary directory (HOME too).
#
# usage: check-flatpak.sh SOURCE_ROOT
set -eu

src=${1:?usage: check-flatpak.sh SOURCE_ROOT}
src=$(cd "$src" && pwd)
manifest=$src/flatpak/io.github.chatroom.ChatRoom.json

if ! command -v flatpak-builder >/dev/null 2>&1; then
  # e.g. inside the Flatpak build itself (run-tests), where the SDK has none.
  echo "flatpak-builder not found: skipping (apt-get install flatpak-builder)"
  exit 77
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/chatroom-flatpak.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM
export HOME="$tmp/home" XDG_CACHE_HOME="$tmp/home/.cache" XDG_DATA_HOME="$tmp/home/.local/share"
mkdir -p "$HOME"

echo "# 1. flatpak-builder --show-manifest"
if ! G_DEBUG=fatal-warnings flatpak-builder --show-manifest "$manifest" >"$tmp/shown.json" 2>"$tmp/err"; then
  cat "$tmp/err"
  echo "not ok - flatpak-builder rejects $manifest"
  exit 1
fi
echo "ok - flatpak-builder accepts the manifest"

echo "# 2. contents"
python3 - "$manifest" "$src" "$tmp/local.json" <<'EOF'
import json, os, re, sys

manifest_path, src, local_out = sys.argv[1:4]
manifest_dir = os.path.dirname(manifest_path)
with open(manifest_path, encoding="utf-8") as f:
    m = json.load(f)

errors = []
def check(ok, what):
    print(("ok - " if ok else "not ok - ") + what)
    if not ok:
        errors.append(what)

# The app id as the project defines it (top-level meson.build).
with open(os.path.join(src, "meson.build"), encoding="utf-8") as f:
    found = re.search(r"^app_id\s*=\s*'([^']+)'", f.read(), re.M)
app_id = found.group(1) if found else None
check(app_id is not None, "meson.build defines app_id")

check(m.get("id", m.get("app-id")) == app_id, f"id is {app_id}")
check(m.get("command") == "chatroom", "command is chatroom")
check(m.get("runtime") == "org.gnome.Platform", "runtime is org.gnome.Platform")
check(m.get("sdk") == "org.gnome.Sdk", "sdk is org.gnome.Sdk")
check(re.fullmatch(r"\d+(\.\d+)?", str(m.get("runtime-version", ""))) is not None,
      f"runtime-version pinned to a stable release ({m.get('runtime-version')!r})")
want_args = ["--share=network", "--share=ipc", "--socket=wayland",
             "--socket=fallback-x11", "--device=dri"]
got_args = m.get("finish-args", [])
check(sorted(got_args) == sorted(want_args) and len(got_args) == len(want_args),
      f"finish-args are exactly {' '.join(want_args)} (got {' '.join(got_args)})")

# The desktop id must equal the app id (exported as <id>.desktop; GNotification).
check(os.path.exists(os.path.join(src, "data", f"{app_id}.desktop.in.in")),
      f"data/{app_id}.desktop.in.in exists")

def walk(modules):
    for mod in modules:
        if isinstance(mod, str):
            errors.append(f"external module file {mod} not supported by this check")
            continue
        yield mod
        yield from walk(mod.get("modules", []))

mods = list(walk(m.get("modules", [])))
names = [mod.get("name") for mod in mods]
check(bool(mods) and names[-1] == "chatroom", "the last module is chatroom")
check("libsodium" in names, "libsodium is a module")

for mod in mods:
    for s in mod.get("sources", []):
        if isinstance(s, str):
            errors.append(f"{mod['name']}: external source file {s} not supported")
            continue
        kind = s.get("type")
        if "url" in s:
            check(s["url"].startswith("https://"), f"{mod['name']}: {s['url']} is https")
            check(re.fullmatch(r"[0-9a-f]{64}", s.get("sha256", "")) is not None,
                  f"{mod['name']}: {s['url']} has a sha256")
        if "path" in s:
            path = os.path.normpath(os.path.join(manifest_dir, s["path"]))
            check(os.path.exists(path), f"{mod['name']}: local {kind} source {s['path']} exists")
        if kind in ("git", "bzr", "svn"):
            check("commit" in s or "tag" in s, f"{mod['name']}: {kind} source is pinned")

sodium = next((mod for mod in mods if mod.get("name") == "libsodium"), {})
check(any(s.get("type") == "archive" and "sha256" in s for s in sodium.get("sources", [])),
      "libsodium is a checksummed archive")

app = mods[-1] if mods else {}
check(app.get("buildsystem") == "meson", "chatroom builds with meson")
check(app.get("run-tests") is True, "chatroom runs its tests")
check({"type": "dir", "path": ".."}.items() <= (app.get("sources") or [{}])[0].items(),
      'chatroom builds from {"type": "dir", "path": ".."}')
dir_src = os.path.normpath(os.path.join(manifest_dir, ".."))
check(os.path.samefile(dir_src, src), "the dir source is this source tree")

# For step 3: the manifest with only its local sources, paths made absolute.
local = dict(m)
local_mods = []
for mod in mods:
    srcs = [dict(s) for s in mod.get("sources", []) if isinstance(s, dict) and "url" not in s]
    for s in srcs:
        if "path" in s:
            s["path"] = os.path.normpath(os.path.join(manifest_dir, s["path"]))
    if srcs:
        mod = {k: v for k, v in mod.items() if k != "modules"}
        mod["sources"] = srcs
        local_mods.append(mod)
local["modules"] = local_mods
with open(local_out, "w", encoding="utf-8") as f:
    json.dump(local, f, indent=2)

sys.exit(1 if errors else 0)
EOF

echo "# 3. flatpak-builder --download-only (local sources)"
if flatpak-builder --download-only --allow-missing-runtimes --disable-rofiles-fuse \
     --state-dir="$tmp/state" "$tmp/app" "$tmp/local.json" >"$tmp/dl.log" 2>&1; then
  echo "ok - local sources found"
else
  cat "$tmp/dl.log"
  echo "not ok - flatpak-builder --download-only"
  exit 1
fi
echo "# url sources (libsodium) need the network: checked by their sha256 only"
