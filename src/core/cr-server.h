/* cr-server.h: a room served on a UDP port of a GLib main loop. The
 * packet path itself is CrEngine (no socket); this adds the socket, its
 * GSource, the timers, and a GObject face for the app and chatroomd.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>
#include "cr-types.h"
#include "cr-member.h"
#include "cr-engine.h"
#include "cr-engine-moderation.h"
#include "cr-files.h"

G_BEGIN_DECLS

#define CR_SERVER_ERROR (cr_server_error_quark ())
/* Error codes are CrReason values (owner actions), or CR_SERVER_ERROR_BIND. */
#define CR_SERVER_ERROR_BIND 1000
GQuark cr_server_error_quark (void);

#define CR_TYPE_EVENT (cr_event_get_type ())
GType cr_event_get_type (void);

#define CR_TYPE_SERVER (cr_server_get_type ())
G_DECLARE_FINAL_TYPE (CrServer, cr_server, CR, SERVER, GObject)

/* Construct properties: "data-dir" (string; NULL = no store: nothing is
 * kept, for throwaway rooms), "room-name", "language" (catalog for classic
 * members' lines, default "zh_CN"), "max-members" (uint, default 500), "rate-limit" (uint, messages a second
 * each member may say, bursts of twice that; 0: no limit; default 50),
 * "require-registration" (boolean), "history-length" (uint, events sent on
 * join, default 50), "silence-timeout" (uint ms, default 15000),
 * "owner-name" (string: how owner messages from the console are signed),
 * "discoverable" (boolean, default TRUE: answer discovery probes and
 * announce the room on the LAN, cr-discovery.h; also live).
 * "room-name", "require-registration", "history-length" and "max-members"
 * also apply to a running room and notify on a change (the app binds them to its
 * settings with g_settings_bind).
 * "allow-classic" (boolean, default TRUE, live): FALSE refuses members of
 * the classroom dialect, which cannot encrypt.
 * "threaded" (boolean, construct-only, default FALSE): the room (socket,
 * timers, engine, store, shared files) runs on a thread of its own with
 * its own GMainContext, so a window on the starting thread draws while a
 * big room fans out (the app's). The API stays the same, for the thread
 * that started the room: a call runs in the room and waits for it at most
 * 2 s (an action then fails "The room did not answer in time"), a setter
 * does not wait; signals, notifications and the two models come on the
 * starting thread's context, a burst at a time. Without it everything
 * runs on the context the room started on (chatroomd).
 * Read-only: "owner-token", "running" (boolean), "port" (uint),
 * "fingerprint" (the room's identity key, cr-crypto.h: created in the data
 * dir at the first start, or in memory without one; NULL before),
 * "storage-ok" (boolean: FALSE while the disk refuses what the room must
 * keep; the room relays meanwhile and writes the backlog later).
 *
 * Signals:
 *   "event" (CrEvent *event): something happened in the room (for logs and
 *       the owner view);
 *   "members-changed": the member list, a member's flags or the bans
 *       changed (after the models below changed);
 *   "stopped": the room has closed and the socket is gone;
 *   "storage-warning" (gboolean ok, const char *message): storage failed or
 *       recovered, in a sentence for the owner;
 *   "locks-changed": a name was locked after too many wrong passwords, or
 *       the owner lifted a lock (cr_server_dup_locked_names). */
CrServer     *cr_server_new                  (const char  *data_dir,
                                              const char  *room_name);

/* Bind "host:port" ("127.0.0.1:10024", "[::1]:0", "[::]:10024") and serve.
 * Opens the store first. Fails with CR_SERVER_ERROR_BIND (port in use…) or
 * a store error. */
gboolean      cr_server_start                (CrServer     *self,
                                              const char   *address,
                                              GError      **error);
/* Close the room: everyone gets ROOM_CLOSED, the store is flushed, the
 * socket stays open until all acked or 1 s passed, then "stopped". */
void          cr_server_stop                 (CrServer     *self);
gboolean      cr_server_get_running          (CrServer     *self);
guint16       cr_server_get_port             (CrServer     *self);
/* Addresses others can type to join ("192.168.1.5:10024", …). */
GStrv         cr_server_dup_join_addresses   (CrServer     *self);
const char   *cr_server_get_owner_token      (CrServer     *self);
const char   *cr_server_get_room_name        (CrServer     *self);
void          cr_server_set_room_name        (CrServer     *self,
                                              const char   *name);
void          cr_server_set_require_registration (CrServer *self,
                                              gboolean      required);
void          cr_server_set_max_members      (CrServer     *self,
                                              guint         max_members);
void          cr_server_set_allow_classic    (CrServer     *self,
                                              gboolean      allow);
/* "12345 67890 …" (cr_fingerprint), NULL before the first start. */
char         *cr_server_dup_fingerprint      (CrServer     *self);
void          cr_server_set_history_length   (CrServer     *self,
                                              guint         length);
void          cr_server_set_silence_timeout  (CrServer     *self,
                                              guint         timeout_ms);
void          cr_server_set_discoverable     (CrServer     *self,
                                              gboolean      discoverable);

/* The owner speaks and manages. Each returns FALSE with CR_SERVER_ERROR and
 * a CrReason when it does not apply. */
gboolean      cr_server_say                  (CrServer    *self,
                                              const char  *text,
                                              GError     **error);
gboolean      cr_server_announce             (CrServer    *self,
                                              const char  *text,
                                              GError     **error);
/* Take back message seq (the owner: any message, any time); every member
 * that had it sees "NAME recalled a message" and the store forgets its text.
 * CR_CLIENT_ERROR-style reasons as the other owner actions. */
gboolean      cr_server_recall               (CrServer    *self,
                                              guint64      seq,
                                              GError     **error);
gboolean      cr_server_kick                 (CrServer    *self,
                                              const char  *name,
                                              GError     **error);
gboolean      cr_server_mute                 (CrServer    *self,
                                              const char  *name,
                                              GError     **error);
gboolean      cr_server_unmute               (CrServer    *self,
                                              const char  *name,
                                              GError     **error);
gboolean      cr_server_ban                  (CrServer    *self,
                                              const char  *name,
                                              GError     **error);
gboolean      cr_server_unban                (CrServer    *self,
                                              const char  *name,
                                              GError     **error);

/* Running a class (cr-engine-moderation.h), as the owner: kick, mute for
 * seconds (0: until lifted), unmute, ban, unban, admin, unadmin, mute-all,
 * pin (argument the text, "" unpins). Each is an event ("event"). */
gboolean      cr_server_moderate             (CrServer        *self,
                                              CrManageAction   action,
                                              const char      *argument,
                                              gint64           seconds,
                                              GError         **error);
/* The admins' names, sorted (empty when the room is not running). */
GStrv         cr_server_dup_admins           (CrServer *self);
/* Every mute, sorted by name: CrStoreMute* (until: its end on the wall
 * clock, 0 until lifted); empty when the room is not running. */
GPtrArray    *cr_server_dup_mutes            (CrServer *self);
/* The pinned announcement, NULL when none. */
char         *cr_server_dup_pin              (CrServer *self);
gboolean      cr_server_get_mute_all         (CrServer *self);

/* The banned names, sorted (empty when the room is not running). The list
 * changes with BAN and UNBAN events ("event", "members-changed"). */
GStrv         cr_server_dup_bans             (CrServer *self);
/* The same names as a GListModel of CrMember (name only), collated, kept
 * in place: a ban inserts one item, an unban removes one (as below). */
GListModel   *cr_server_get_bans             (CrServer *self);

/* Names locked after too many wrong passwords (folded, sorted; empty when
 * the room is not running); a lock runs out by itself after
 * CR_ENGINE_LOGIN_LOCK_US. The owner may lift one: FALSE with
 * CR_REASON_NO_CHANGE when the name had none. */
GStrv         cr_server_dup_locked_names     (CrServer    *self);
gboolean      cr_server_unlock_name          (CrServer    *self,
                                              const char  *name,
                                              GError     **error);

/* GListModel of CrMember in cr_member_compare order (owner first), kept in
 * place: a join inserts one item, a leave (kick, ban, timeout) removes
 * one, a mute notifies "flags", with "address" set; "last-active"
 * (wall-clock µs) is the join, then the member's lines as the room hears
 * them, notified at most once a second. Both lists follow the room's
 * events on the next turn of the room's loop, not inside the packet path
 * (a threaded room's: then on the owner's context); "members-changed"
 * follows them. */
GListModel   *cr_server_get_members          (CrServer *self);

/* The room's shared files (limits, list, stats) while it runs with a data
 * dir; NULL otherwise (transfer none). */
CrFiles      *cr_server_get_files            (CrServer      *self);

void          cr_server_get_stats            (CrServer      *self,
                                              CrStats       *stats);

G_END_DECLS
