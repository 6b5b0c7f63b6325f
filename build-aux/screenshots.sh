#!/bin/sh
# Screenshots of the real app under Xvfb, in English and Chinese:
#   data/screenshots/{login,chat,owner}-{en,zh_CN}.png
#
#   build-aux/screenshots.sh [BUILDDIR]     (default: build; builds nothing)
#
# Per language, on one Xvfb screen with no window manager:
#   1. "teacher" hosts a room: `chatroom --host` (owner mode), its settings in
#      a keyfile of its own (room name, a free loopback port, this computer
#      only: nothing listens beyond 127.0.0.1);
#   2. alice and carol join with chatroom-cli and talk (lines on a pipe);
#      alice shares a picture and a file (/send); the teacher speaks from
#      the owner view;
#   3. a second `chatroom 127.0.0.1:PORT` with the nickname bob shows the
#      filled-in login view           -> login-LANG.png
#      Enter joins; bob says a line    -> chat-LANG.png
#   4. bob quits (Ctrl+Q); the host's window, owner view beside the chat
#                                      -> owner-LANG.png
# Each window is captured alone (import -window ID). Needs xvfb-run,
# xdotool, ImageMagick and fonts-wqy-microhei (build-aux/deps.sh).
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)

if [ "${1:-}" = "--inner" ]; then
  inner=1
  shift
else
  inner=0
fi

builddir=${1:-build}
case $builddir in
  /*) ;;
  *) builddir=$top/$builddir ;;
esac

app=$builddir/src/chatroom
cli=$builddir/src/chatroom-cli
outdir=$top/data/screenshots

if [ "$inner" = 0 ]; then
  for tool in xvfb-run xdotool import; do
    command -v "$tool" >/dev/null || { echo "screenshots: $tool is missing (build-aux/deps.sh)" >&2; exit 1; }
  done
  for prog in "$app" "$cli"; do
    [ -x "$prog" ] || { echo "screenshots: $prog is not built (meson compile -C $builddir)" >&2; exit 1; }
  done
  [ -f "$builddir/data/gschemas.compiled" ] || { echo "screenshots: no compiled schema in $builddir/data" >&2; exit 1; }
  mkdir -p "$outdir"
  status=0
  for lang in en zh_CN; do
    # The screen is a little larger than the 900x640 window: no WM, so
    # every window maps at 0,0, and each is captured by its id.
    xvfb-run -a -s "-screen 0 1024x768x24 -nolisten tcp" \
      "$0" --inner "$builddir" "$lang" || status=$?
  done
  ls -l "$outdir"/*.png
  exit $status
fi

# ---- inside Xvfb: one language ----
lang=$2
tmp=$(mktemp -d /tmp/chatroom-shots.XXXXXX)
pids=""

cleanup() {
  for pid in $pids; do
    kill "$pid" 2>/dev/null || true
  done
  wait 2>/dev/null || true
  # CHATROOM_SHOTS_KEEP=1 keeps the programs' logs and homes for a look.
  if [ -n "${CHATROOM_SHOTS_KEEP:-}" ]; then
    echo "screenshots: logs in $tmp" >&2
  else
    rm -rf "$tmp"
  fi
}
trap cleanup EXIT INT TERM

# A loopback port nobody uses: 10024 when free, else one near it.
port=10024
while ss -Hlun "sport = :$port" 2>/dev/null | grep -q .; do
  port=$((port + 1))
done

export GSETTINGS_SCHEMA_DIR="$builddir/data"
export GSETTINGS_BACKEND=keyfile
export GTK_A11Y=none
export NO_AT_BRIDGE=1
export GDK_BACKEND=x11
export LC_ALL=
export LANG=C.UTF-8
export LANGUAGE="$lang"
# The login view lists the teacher's room, found on loopback as an extra
# place; nothing is probed beyond it (cr-room-list.h).
export CHATROOM_DISCOVERY_NO_LAN=1

# xdotool maps each Chinese character to a spare keycode on the fly, and
# drops some when they come fast: type those slower.
type_delay=120
if [ "$lang" = zh_CN ]; then
  type_delay=300
  room="物理课"
  say_alice1="大家好！"
  say_carol1="老师好，今天的实验在几号楼？"
  say_alice2="我把上周的笔记发到群里了"
  say_bob="我马上到"
  say_teacher="十点半上课，记得带实验报告"
  pic_name="实验装置.png"
  notes_name="第12周笔记.pdf"
else
  room="Physics 101"
  say_alice1="Hello everyone!"
  say_carol1="Which building is today's lab in?"
  say_alice2="I put last week's notes in the shared folder"
  say_bob="On my way"
  say_teacher="Class starts at 10:30, bring your lab sheets"
  pic_name="lab-setup.png"
  notes_name="week-12-notes.pdf"
fi

# Each program gets a home of its own: settings, data and cache.
make_home() {
  home=$tmp/$1
  mkdir -p "$home/config/glib-2.0/settings" "$home/data" "$home/cache"
  cat >"$home/config/glib-2.0/settings/keyfile" <<EOF
[io/github/chatroom/ChatRoom]
nickname='$1'
last-address='127.0.0.1:$port'
owner-port=uint32 $port
room-name='$room'
local-only=true
extra-places=['127.0.0.1:$port']
EOF
}

# run NAME PROGRAM ARGS...: in NAME's home, in the background.
run_as() {
  who=$1
  shift
  XDG_CONFIG_HOME=$tmp/$who/config XDG_DATA_HOME=$tmp/$who/data \
    XDG_CACHE_HOME=$tmp/$who/cache "$@" >"$tmp/$who.log" 2>&1 &
  pids="$pids $!"
  last_pid=$!
}

# The newest top-level window of a process (GTK maps more than one).
window_of() {
  for _ in $(seq 1 100); do
    wid=$(xdotool search --onlyvisible --pid "$1" 2>/dev/null | tail -n 1 || true)
    if [ -n "$wid" ]; then
      echo "$wid"
      return 0
    fi
    sleep 0.1
  done
  echo "screenshots: no window from pid $1" >&2
  return 1
}

shot() {
  # Let the frame clock settle (fades, the toast's entry) before capturing.
  sleep 1
  import -window "$1" "$outdir/$2-$lang.png"
  echo "screenshots: $outdir/$2-$lang.png"
}

# A member in a terminal: lines on a pipe, a pause before each. The feeder
# notes its pid so that cleanup can end it too.
member() {
  who=$1
  shift
  make_home "$who"
  sh -c 'echo $$ >"$0"; sleep 2; for line; do sleep 1.2; printf "%s\n" "$line"; done; exec sleep 120' \
      "$tmp/$who.feeder" "$@" |
    XDG_CONFIG_HOME=$tmp/$who/config XDG_DATA_HOME=$tmp/$who/data \
      XDG_CACHE_HOME=$tmp/$who/cache "$cli" "$who" "127.0.0.1:$port" >"$tmp/$who.log" 2>&1 &
  pids="$pids $!"
  sleep 0.2
  [ -s "$tmp/$who.feeder" ] && pids="$pids $(cat "$tmp/$who.feeder")"
}

make_home teacher
run_as teacher "$app" --host
host_pid=$last_pid
host_win=$(window_of "$host_pid")
# Let the host settle (fonts, the first frames) before anyone joins: a
# host busy for longer than a joiner's retry sees the JOIN twice, and the
# room shows that member leave and join again.
sleep 5

# What alice shares: a picture (shown inline) and her notes (a file row).
convert -size 480x300 gradient:'#3584e4-#99c1f1' -fill white -stroke '#1c71d8' -strokewidth 4 \
  -draw 'circle 160,150 160,80' -draw 'rectangle 280,90 400,210' "$tmp/$pic_name"
head -c 1234567 /dev/urandom >"$tmp/$notes_name"
member alice "$say_alice1" "" "$say_alice2" "/send $tmp/$notes_name" "/send $tmp/$pic_name"
sleep 0.5
member carol "" "$say_carol1"
sleep 5

# The teacher speaks from the owner view's entry (beside the chat, below the
# member list of the 900x640 window), Enter says it as the owner.
xdotool mousemove --window "$host_win" 735 466 click 1
sleep 0.3
xdotool type --delay "$type_delay" "$say_teacher"
xdotool key Return
sleep 1.5

make_home bob
run_as bob "$app" "127.0.0.1:$port"
bob_pid=$last_pid
bob_win=$(window_of "$bob_pid")
# The room list finds the teacher's room within a probe or two; raise the
# window, which may map under the host's while its first frame is drawn.
sleep 6
xdotool windowmap "$bob_win" windowraise "$bob_win"
sleep 2
shot "$bob_win" login

# A click on the room found fills its address (the row at y 282-340 in
# English, 300-358 in Chinese). Enter in the nickname row joins; the first
# focus is the header bar's owner toggle, so click into the row first (the
# nickname row of the 900x640 login view, below the room list: y 535-590 in
# English, 553-608 in Chinese).
xdotool mousemove --window "$bob_win" 450 320 click 1
sleep 0.5
xdotool mousemove --window "$bob_win" 450 575 click 1
sleep 0.3
# Keys through XTEST to the window under the pointer (no WM: focus follows
# the pointer); GTK ignores keys sent with XSendEvent (xdotool --window).
xdotool key End Return
sleep 3
# After joining, the entry has the focus (cr_chat_page_focus_entry).
# xdotool maps each Chinese character to a spare keycode on the fly; the
# first ones were sometimes lost when typed fast.
xdotool type --delay "$type_delay" "$say_bob"
xdotool key Return
sleep 2
shot "$bob_win" chat

xdotool key ctrl+q
sleep 2
shot "$host_win" owner

grep -H -i -E "critical|warning" "$tmp"/*.log >&2 || true
