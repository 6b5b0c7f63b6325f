#!/bin/sh
# Installs the Debian 12 packages Chat Room needs to build, test and run,
# only when one is missing. Runs as root (or through sudo when it exists).
set -eu

packages="gcc pkg-config meson ninja-build libgtk-4-dev libadwaita-1-dev
  libglib2.0-dev-bin libsqlite3-dev libsodium-dev gettext desktop-file-utils
  appstream libxml2-utils gtk-update-icon-cache xvfb xauth python3
  fonts-wqy-microhei imagemagick flatpak-builder xdotool clang libclang-rt-14-dev
  iproute2 nftables libportal-gtk4-dev"

missing=""
for p in $packages; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0

echo "Installing:$missing" >&2
SUDO=""
[ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null && SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q >&2
# shellcheck disable=SC2086
$SUDO apt-get install -y -q --no-install-recommends $missing >&2
