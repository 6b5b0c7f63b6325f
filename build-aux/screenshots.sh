#!/bin/sh
# Screenshots of the real app under Xvfb, in English and Chinese:
#   data/screenshots/{login,first-key,chat,owner,narrow,muted,kicked,owner-200,background}-{en,zh_CN}.png
#   data/screenshots/{reply,recalled,private,search,owner-class,pinned}-{en,zh_CN}.png
#
#   build-aux/screenshots.sh [BUILDDIR]     (default: build; builds nothing)
#
# Per language, on one Xvfb screen with no window manager, the host's
# window on the left, bob's beside it (no window covers another, so each
# is captured alone by its id: import -window ID):
#   1. "teacher" hosts a room: `chatroom --host` (owner mode), its settings in
#      a keyfile of its own (room name, a free loopback port, this computer
#      only: nothing listens beyond 127.0.0.1);
#   2. alice and carol join with chatroom-cli and talk (lines on a pipe);
#      alice shares a picture and a file (/send); the teacher speaks from
#      the chat's composer;
#   3. a second `chatroom 127.0.0.1:PORT` with the nickname bob shows the
#      filled-in login view           -> login-LANG.png
#      Enter: a room met for the first time shows its key
#                                      -> first-key-LANG.png
#      Enter joins; bob says a line    -> chat-LANG.png
#   4. the host opens the owner view   -> owner-LANG.png
#   5. bob's window 400 px wide        -> narrow-LANG.png
#   6. the owner finds bob with the member search and mutes him from his
#      row's menu; bob's composer      -> muted-LANG.png
#   7. the owner kicks bob the same way: bob keeps the conversation under
#      a banner                        -> kicked-LANG.png
#   8. 197 more chatroom-cli members join over loopback, 200 in all (the
#      room's default maximum)         -> owner-200-LANG.png
# Then, on a screen of its own with a session bus (dbus-run-session) and a
# notification server (notification-daemon, installed here when missing:
# the tests never need one), the teacher hosts with "keep the room open"
# chosen, alice talks, and the window's close button leaves the room
# running without it; the notification that says so
#                                      -> background-LANG.png
# Then, per language, the UI tests that drive them save (CR_SCREENSHOT_DIR):
#   9. the owner view with an admin, a timed mute, mute-all and a pin
#      (tests/test-owner-page.c, class-controls) -> owner-class-LANG.png
#  10. a member's chat under a pinned announcement, with mute-all closing
#      the composer (tests/test-ui.c, pin-and-mute-all) -> pinned-LANG.png
# Between 4 and 5, the conversation (issue 14), in bob's window:
#   a. alice answers carol's question with /reply   -> reply-LANG.png
#   b. alice says a line and takes it back (/recall) -> recalled-LANG.png
#   c. alice writes to bob alone (/msg); bob opens the conversation from
#      the side pane and answers       -> private-LANG.png
#   d. Ctrl+F, a word of the teacher's  -> search-LANG.png
# Every wait is bounded. Needs xvfb-run, xdotool, ImageMagick and
# fonts-wqy-microhei (build-aux/deps.sh).
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)

# The GNotification server the background shot shows (not a build or test
# dependency: only this script uses it).
notifyd=/usr/lib/notification-daemon/notification-daemon

mode=outer
case ${1:-} in
  --inner) mode=inner; shift ;;
  --background) mode=background; shift ;;
esac
inner=0
[ "$mode" = outer ] || inner=1

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
  if [ ! -x "$notifyd" ]; then
    echo "screenshots: installing notification-daemon (for the background shot)" >&2
    SUDO=""
    [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null && SUDO=sudo
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends \
      notification-daemon dbus >&2
  fi
  mkdir -p "$outdir"
  status=0
  for lang in en zh_CN; do
    # Room for two 900x640 windows side by side: with no WM every window
    # maps at 0,0, and bob's is moved beside the host's.
    xvfb-run -a -s "-screen 0 1920x1080x24 -nolisten tcp" \
      "$0" --inner "$builddir" "$lang" || status=$?
    # A session bus of its own: there the app is unique (one instance),
    # which the shots above, with two of them, must not be.
    xvfb-run -a -s "-screen 0 1280x800x24 -nolisten tcp" \
      dbus-run-session -- "$0" --background "$builddir" "$lang" || status=$?
  done
  # 9 and 10: the tests' own windows, in the tests' environment
  # (tests/meson.build); leaks are the test suite's business, not this.
  for lang in en zh_CN; do
    env LANGUAGE="$lang" LANG=C.UTF-8 LC_ALL= CR_SCREENSHOT_DIR="$outdir" \
      GSETTINGS_SCHEMA_DIR="$builddir/data" GSETTINGS_BACKEND=memory GDK_BACKEND=x11 \
      GTK_A11Y=none NO_AT_BRIDGE=1 CHATROOM_TRUST_FILE= CHATROOM_DISCOVERY_NO_LAN=1 \
      CHATROOM_NO_AVAHI=1 ASAN_OPTIONS=detect_leaks=0 \
      xvfb-run -a -s "-screen 0 1280x800x24 -nolisten tcp" sh -c \
        '"$0"/tests/test-owner-page -p /chatroom/owner-page/class-controls &&
         "$0"/tests/test-ui -p /chatroom/ui/pin-and-mute-all' "$builddir" >/dev/null ||
      status=$?
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
  type_delay=500
  room="物理课"
  say_alice1="大家好！"
  say_carol1="老师好，今天的实验在几号楼？"
  say_alice2="我把上周的笔记发到群里了"
  say_bob="我马上到"
  say_teacher="十点半上课，记得带实验报告"
  pic_name="实验装置.png"
  notes_name="第12周笔记.pdf"
  student="学生"
  say_alice_reply="在物理楼 3 层"
  say_alice_oops="明天不上课"
  say_alice_private="你的实验报告写完了吗？"
  say_bob_private="写完了，谢谢提醒"
  search_word="实验"
else
  room="Physics 101"
  say_alice1="Hello everyone!"
  say_carol1="Which building is today's lab in?"
  say_alice2="I put last week's notes in the shared folder"
  say_bob="On my way"
  say_teacher="Class starts at 10:30, bring your lab sheets"
  pic_name="lab-setup.png"
  notes_name="week-12-notes.pdf"
  student="student"
  say_alice_reply="Physics building, third floor"
  say_alice_oops="No class tomorrow"
  say_alice_private="Did you finish your lab sheet?"
  say_bob_private="Yes, thanks for asking"
  search_word="lab"
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

# The newest top-level window of a process (GTK maps more than one). Its
# _NET_WM_PID is checked: before the process maps a window of its own,
# xdotool's --pid was seen to answer with another program's.
window_of() {
  for _ in $(seq 1 200); do
    for wid in $(xdotool search --onlyvisible --pid "$1" 2>/dev/null | tac || true); do
      if [ "$(xdotool getwindowpid "$wid" 2>/dev/null || true)" = "$1" ]; then
        echo "$wid"
        return 0
      fi
    done
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

# A member in a terminal: lines on a pipe, a pause before each, then what
# the script writes to "$tmp/$who.more" when that is a FIFO (it holds it
# open). The feeder notes its pid so that cleanup can end it too. The
# lines are numbered (--numbers), for /reply and /recall.
member() {
  who=$1
  shift
  make_home "$who"
  sh -c 'echo $$ >"$0"; sleep 2; for line; do sleep 1.2; printf "%s\n" "$line"; done
         more=${0%.feeder}.more; [ -p "$more" ] && exec cat "$more"; exec sleep 600' \
      "$tmp/$who.feeder" "$@" |
    XDG_CONFIG_HOME=$tmp/$who/config XDG_DATA_HOME=$tmp/$who/data \
      XDG_CACHE_HOME=$tmp/$who/cache "$cli" --numbers "$who" "127.0.0.1:$port" \
      >"$tmp/$who.log" 2>&1 &
  pids="$pids $!"
  sleep 0.2
  [ -s "$tmp/$who.feeder" ] && pids="$pids $(cat "$tmp/$who.feeder")"
}

# Bob's list to its newest rows: the wheel down over it, as a reader
# would (the picture rows above grow as they load, and a list that was
# at the bottom can be left short of it).
to_bottom() {
  xdotool mousemove --window "$bob_win" 300 300 click --repeat 15 --delay 30 5
  sleep 0.5
}

# The number chatroom-cli --numbers gave the line of WHO's log with TEXT.
seq_of() {
  grep -F "$2" "$tmp/$1.log" | sed -n 's/^#\([0-9][0-9]*\) .*/\1/p' | head -n 1
}

# focus WINDOW X Y: keyboard focus to WINDOW, the pointer at X,Y in it.
# Keys go through XTEST to the focused window; GTK ignores keys sent with
# XSendEvent (xdotool --window).
focus() {
  xdotool windowfocus "$1"
  xdotool mousemove --window "$1" "$2" "$3"
}

# wait_for SECONDS COMMAND...: until COMMAND succeeds, at most SECONDS.
wait_for() {
  limit=$(($1 * 10))
  shift
  for _ in $(seq 1 "$limit"); do
    "$@" && return 0
    sleep 0.1
  done
  echo "screenshots: gave up waiting for: $*" >&2
  return 1
}

log_has() {
  grep -q -F "$2" "$tmp/$1.log" 2>/dev/null
}

# Where things are in the owner view depends on the language: the pane is
# as wide as its widest line, and beside the chat or over it (AdwFlap
# folds it when both do not fit). So they are found in a capture of the
# host's window, not at fixed coordinates.
#
# member_card: the white card of the member list as "W H X Y" in the host
# window (0 0 ... when the owner view is closed), looked for in the right-hand
# pane only (file rows in the chat are white cards too). Only the cards are pure
# white there (the pane is #fafafa); looked for below the address, the
# tabs and the search, above any toast.
member_card() {
  import -window "$host_win" "$tmp/host.png"
  convert "$tmp/host.png" -crop 300x300+600+220 +repage -fill black +opaque white \
    -format '%@' info: 2>/dev/null | tr 'x+' '  ' | awk '{ print $1, $2, $3 + 600, $4 + 220 }'
}

owner_view_open() {
  [ "$(member_card | cut -d ' ' -f 1)" -gt 0 ]
}

# search_at: "X Y" of the member search in the host window: the tallest run
# of its grey (#e6e6e6) in the column a little inside the card's right
# edge (clear of the search's icon and text), above the card (the selected
# tab above it, when it reaches that far, is a shorter grey run); X is the
# card's middle (the search's right end is its clear icon's place, and a
# click there does not focus it).
search_at() {
  set -- $(member_card)
  x=$(($3 + $1 - 30))
  convert "$tmp/host.png" -crop "1x$(($4 - 60))+$x+60" +repage -depth 8 txt:- |
    awk -v x=$(($3 + $1 / 2)) -F '[,:]' '
      /\(230,230,230/ { y = $2 + 60; if (y == last + 1) run++; else { run = 1; start = y } last = y
                         if (run > best) { best = run; mid = start + int (run / 2) } }
      END { if (best > 20) print x, mid }'
}

# click_search: the owner view opened if need be, a click into its search.
click_search() {
  owner_view_open || { focus "$host_win" 718 28; xdotool click 1; sleep 1; }
  at=$(search_at)
  [ -n "$at" ] || { echo "screenshots: no member search in the owner view" >&2; return 1; }
  focus "$host_win" $at
  xdotool click 1
  sleep 0.3
}

# member_menu DOWNS: open the one shown member's menu and activate an entry
# with the keyboard: the menu opens on its first entry, Down DOWNS times
# (the separators are skipped), Return. No coordinate of a translated menu
# matters.
member_menu() {
  set -- "$1" $(member_card)
  [ "$2" -gt 0 ] || { echo "screenshots: no member card in the owner view" >&2; return 1; }
  xdotool mousemove --window "$host_win" $(($4 + $2 - 26)) $(($5 + $3 / 2)) click 1
  sleep 0.8
  [ "$1" = 0 ] || xdotool key --repeat "$1" --delay 100 Down
  xdotool key Return
}

# ---- the background shot (--background, under dbus-run-session) ----
if [ "$mode" = background ]; then
  # Cairo, not software GL: with llvmpipe the first frames of a second
  # GTK process on the screen took longer than the room's joiners wait.
  export GDK_DEBUG=gl-disable
  # The server must own its bus name before the app sends (GLib sends
  # once, and warns when nobody is there); it has been seen to start
  # before the display accepts it, so it gets a few tries.
  for _ in 1 2 3; do
    "$notifyd" >>"$tmp/notifyd.log" 2>&1 &
    notifyd_pid=$!
    pids="$pids $notifyd_pid"
    gdbus wait --session --timeout 5 org.freedesktop.Notifications 2>/dev/null &&
      kill -0 "$notifyd_pid" 2>/dev/null && break
    sleep 1
  done
  make_home teacher
  # Asked once and answered "keep it open" (the question itself is the
  # Adw message dialog of cr-window-actions.c).
  printf '%s\n' 'background-asked=true' 'keep-hosting-in-background=true' \
    >>"$tmp/teacher/config/glib-2.0/settings/keyfile"
  run_as teacher "$app" --host
  host_pid=$last_pid
  host_win=$(window_of "$host_pid")
  # With a session bus the first start takes longer (GTK asks it for
  # settings): the room is there once its port is bound.
  bound() { ss -Hlun "sport = :$port" 2>/dev/null | grep -q .; }
  wait_for 60 bound
  sleep 2
  member alice "$say_alice1"
  wait_for 20 log_has alice "$say_alice1"
  # The header bar's close button (with no window manager, GTK draws it
  # at the window's top right corner).
  focus "$host_win" 876 24
  xdotool click 1
  gone() { ! xdotool search --onlyvisible --pid "$host_pid" >/dev/null 2>&1; }
  wait_for 10 gone
  # No window, and the room's process still runs.
  kill -0 "$host_pid"
  popup=$(window_of "$notifyd_pid")
  shot "$popup" background

  # Launching the app again is no second instance (GApplication is unique
  # on this bus): it exits at once, and the running one shows its room.
  XDG_CONFIG_HOME=$tmp/teacher/config XDG_DATA_HOME=$tmp/teacher/data \
    XDG_CACHE_HOME=$tmp/teacher/cache timeout 30 "$app" >"$tmp/again.log" 2>&1
  back() { xdotool search --onlyvisible --pid "$host_pid" >/dev/null 2>&1; }
  wait_for 10 back
  echo "screenshots: launched again, the room's window is back (pid $host_pid)"
  grep -H -i -E "critical|warning" "$tmp"/*.log >&2 || true
  exit 0
fi

make_home teacher
run_as teacher "$app" --host
host_pid=$last_pid
host_win=$(window_of "$host_pid")
# Let the host settle (fonts, the first frames) before anyone joins: a
# host busy for longer than a joiner's retry sees the JOIN twice, and the
# room shows that member leave and join again. A slow build (sanitizers)
# takes longer to listen at all: wait for the port first.
listening() {
  ss -Hlun "sport = :$port" 2>/dev/null | grep -q .
}
wait_for 60 listening
sleep 5

# What alice shares: a picture (shown inline) and her notes (a file row).
convert -size 480x300 gradient:'#3584e4-#99c1f1' -fill white -stroke '#1c71d8' -strokewidth 4 \
  -draw 'circle 160,150 160,80' -draw 'rectangle 280,90 400,210' "$tmp/$pic_name"
head -c 1234567 /dev/urandom >"$tmp/$notes_name"
# Alice says more later (the conversation): the script holds her pipe.
mkfifo "$tmp/alice.more"
exec 5<>"$tmp/alice.more"
member alice "$say_alice1" "" "$say_alice2" "/send $tmp/$notes_name" "/send $tmp/$pic_name"
sleep 0.5
member carol "" "$say_carol1"
wait_for 20 log_has carol "$say_alice2"

# The teacher speaks from the composer at the bottom of the window (the
# owner view is still closed); Enter says it as the owner.
focus "$host_win" 410 611
xdotool click 1
sleep 0.3
xdotool type --delay "$type_delay" "$say_teacher"
xdotool key Return
wait_for 10 log_has alice "$say_teacher"

make_home bob
run_as bob "$app" "127.0.0.1:$port"
bob_pid=$last_pid
bob_win=$(window_of "$bob_pid")
xdotool windowmove "$bob_win" 960 0
# The login view's room list finds the teacher's room within a probe or two.
sleep 6
shot "$bob_win" login

# The login view's first focus is its form: Enter joins. Bob never met
# this room: the join stops at its key, which the login view shows to
# compare with the owner's; its Join has the focus, Enter goes on.
focus "$bob_win" 450 100
xdotool key Return
sleep 2
shot "$bob_win" first-key
xdotool key Return
wait_for 10 log_has alice "bob"
sleep 2
# After joining, the entry has the focus (cr_chat_page_focus_entry).
xdotool type --delay "$type_delay" "$say_bob"
xdotool key Return
wait_for 10 log_has alice "$say_bob"
sleep 2
shot "$bob_win" chat

# The header bar's members button opens the owner view (open from the
# start when it fits beside the chat).
owner_view_open || { focus "$host_win" 718 28; xdotool click 1; sleep 1; }
shot "$host_win" owner

# The conversation, in bob's window. Alice answers carol's question.
echo "/reply $(seq_of alice "$say_carol1") $say_alice_reply" >&5
wait_for 10 log_has carol "$say_alice_reply"
sleep 1
to_bottom
shot "$bob_win" reply

# Alice says a line and takes it back: every row of it reads "alice
# recalled a message".
echo "$say_alice_oops" >&5
wait_for 10 log_has carol "$say_alice_oops"
echo "/recall $(seq_of carol "$say_alice_oops")" >&5
sleep 2
to_bottom
shot "$bob_win" recalled

# Alice writes to bob alone: the side pane lists the room and her
# conversation (unread: 1), at its top; bob opens it (Alt+Down, the next
# conversation) and answers.
echo "/msg bob $say_alice_private" >&5
sleep 2
focus "$bob_win" 300 611
xdotool key alt+Down
sleep 1
xdotool type --delay "$type_delay" "$say_bob_private"
xdotool key Return
wait_for 10 log_has alice "$say_bob_private"
shot "$bob_win" private
# Back to the room.
xdotool key alt+Up
sleep 1

# Ctrl+F: a word the teacher said, found in the room's history.
focus "$bob_win" 300 300
xdotool key ctrl+f
sleep 0.5
xdotool type --delay "$type_delay" "$search_word"
sleep 2
shot "$bob_win" search
xdotool key Escape
sleep 0.5

# A phone-sized window: the member pane folds away.
xdotool windowsize "$bob_win" 400 640
sleep 1.5
shot "$bob_win" narrow
xdotool windowsize "$bob_win" 900 640
sleep 1

# The owner finds bob with the member search and mutes him from his row's
# menu.
click_search
xdotool type --delay 100 bob
sleep 1
member_menu 0
sleep 2
shot "$bob_win" muted

# Kicked the same way (the entry after Unmute): bob keeps
# the conversation under a banner that offers to rejoin.
member_menu 1
sleep 2
shot "$bob_win" kicked

# 197 more members in terminals join over loopback: with teacher, alice and
# carol, 200. Each reads a pipe the script holds open (no line, no end).
# They come 20 at a time, each batch in before the next: 197 at once keep
# the host busy past the joiners' probe, and some give up or fall back to
# the classic dialect.
mkfifo "$tmp/quiet"
exec 3<>"$tmp/quiet"
joined() {
  for i in $(seq "$1" "$2"); do
    log_has "$student$i" "* $student$i " || return 1
  done
}
first=1
while [ "$first" -le 197 ]; do
  last=$((first + 19))
  [ "$last" -le 197 ] || last=197
  for i in $(seq "$first" "$last"); do
    make_home "$student$i"
    XDG_CONFIG_HOME=$tmp/$student$i/config XDG_DATA_HOME=$tmp/$student$i/data \
      XDG_CACHE_HOME=$tmp/$student$i/cache "$cli" -q "$student$i" "127.0.0.1:$port" \
      <"$tmp/quiet" >"$tmp/$student$i.log" 2>&1 &
    pids="$pids $!"
  done
  wait_for 20 joined "$first" "$last" || true
  first=$((last + 1))
done
# The search emptied: the list from its top, in natural order.
click_search
xdotool key ctrl+a BackSpace
sleep 3
shot "$host_win" owner-200

grep -H -i -E "critical|warning" "$tmp"/*.log >&2 || true
