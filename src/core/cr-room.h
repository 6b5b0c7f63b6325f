/* cr-room.h: the room as a pure state machine: members, names, roles,
 * mutes, bans and the event sequence. No sockets, no clock, no disk: time
 * comes in as arguments, events go out as return values for the caller to
 * store and deliver.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>
#include "cr-types.h"

G_BEGIN_DECLS

typedef struct _CrRoom CrRoom;

typedef struct {
  guint32    id;          /* room-local member id, from 1, never reused */
  char      *name;        /* canonical (NFC) as the member typed it */
  char      *fold;        /* case-folded key for uniqueness */
  CrRole     role;
  guint      flags;       /* CR_MEMBER_* of cr-protocol.h */
  gint64     joined_us;
  gint64     last_active_us;  /* updated by cr_room_touch and on chat */
} CrRoomMember;

CrRoom          *cr_room_new              (const char *name,
                                           guint       max_members,
                                           guint64     last_seq);  /* from the store */
void             cr_room_free             (CrRoom *self);

const char      *cr_room_get_name         (CrRoom *self);
void             cr_room_set_name         (CrRoom     *self,
                                           const char *name);
guint            cr_room_get_max_members  (CrRoom *self);
void             cr_room_set_max_members  (CrRoom *self,
                                           guint   max_members);
guint64          cr_room_get_last_seq     (CrRoom *self);
guint            cr_room_get_n_members    (CrRoom *self);

/* Bans survive restarts through the store: the caller loads them here. */
void             cr_room_add_ban          (CrRoom     *self,
                                           const char *name);
gboolean         cr_room_is_banned        (CrRoom     *self,
                                           const char *name);
GPtrArray       *cr_room_dup_bans         (CrRoom *self);   /* char*, sorted */

/* Could name join now? Checks, in order: valid name, banned, taken, full.
 * Sets *normalized (transfer full) to the NFC name on success. */
CrReason         cr_room_check_join       (CrRoom      *self,
                                           const char  *name,
                                           char       **normalized);

/* Join (runs the same checks). On success sets *member_id and returns the
 * JOIN event; on failure returns NULL and sets *reason. */
CrEvent         *cr_room_join             (CrRoom      *self,
                                           const char  *name,
                                           CrRole       role,
                                           guint        flags,
                                           gint64       now,
                                           guint32     *member_id,
                                           CrReason    *reason);

/* Leave with kind CR_EVENT_LEAVE or CR_EVENT_TIMEOUT. NULL if no such member. */
CrEvent         *cr_room_leave            (CrRoom      *self,
                                           guint32      member_id,
                                           CrEventKind  kind,
                                           gint64       now);

/* A member speaks: CHAT, or OWNER_CHAT when the member is the owner.
 * NULL with *reason MUTED or TEXT_INVALID when refused. */
CrEvent         *cr_room_say              (CrRoom      *self,
                                           guint32      member_id,
                                           const char  *text,
                                           guint64      origin,
                                           gint64       now,
                                           CrReason    *reason);

/* An event of the room's that is no member's action on the room (a
 * recall, issue 14): the next seq, nothing else changes. */
CrEvent         *cr_room_record           (CrRoom      *self,
                                           CrEventKind  kind,
                                           const char  *name,
                                           gint64       now);
/* The owner speaks without being a member (chatroomd's console):
 * name may be NULL. */
CrEvent         *cr_room_owner_say        (CrRoom      *self,
                                           const char  *owner_name,
                                           const char  *text,
                                           gint64       now,
                                           CrReason    *reason);
CrEvent         *cr_room_announce         (CrRoom      *self,
                                           const char  *text,
                                           gint64       now,
                                           CrReason    *reason);

/* Owner actions by name (case-insensitive). kick/ban set *removed_id to the
 * member removed (0 if none; ban works on absent names too). Each returns
 * NULL with *reason when it does not apply (no such member, already muted,
 * not banned, the owner himself…). */
CrEvent         *cr_room_kick             (CrRoom      *self,
                                           const char  *name,
                                           gint64       now,
                                           guint32     *removed_id,
                                           CrReason    *reason);
CrEvent         *cr_room_ban              (CrRoom      *self,
                                           const char  *name,
                                           gint64       now,
                                           guint32     *removed_id,
                                           CrReason    *reason);
CrEvent         *cr_room_unban            (CrRoom      *self,
                                           const char  *name,
                                           gint64       now,
                                           CrReason    *reason);
CrEvent         *cr_room_mute             (CrRoom      *self,
                                           const char  *name,
                                           gint64       now,
                                           CrReason    *reason);
CrEvent         *cr_room_unmute           (CrRoom      *self,
                                           const char  *name,
                                           gint64       now,
                                           CrReason    *reason);

/* A file was shared or expired (cr-files.c): the next event of that kind,
 * name the sharer ("" for an expiry), text the file's event text. */
CrEvent         *cr_room_file_event       (CrRoom      *self,
                                           CrEventKind  kind,
                                           const char  *name,
                                           const char  *text,
                                           gint64       now);

/* A mute that ends by itself at until (the caller's clock, > 0; 0: until
 * lifted). Muting a muted member with another end moves the end. */
CrEvent         *cr_room_mute_until       (CrRoom      *self,
                                           const char  *name,
                                           gint64       until,
                                           gint64       now,
                                           CrReason    *reason);
/* The end of name's mute: 0 until lifted, -1 not muted. */
gint64           cr_room_get_mute_until   (CrRoom     *self,
                                           const char *name);
/* The earliest end of a timed mute, G_MAXINT64 when none (0 while loaded
 * mutes wait to be settled). */
gint64           cr_room_next_mute_end    (CrRoom *self);
/* Names (char*, sorted) whose mute ends at or before now: the caller lifts
 * each with cr_room_unmute. */
GPtrArray       *cr_room_dup_due_mutes    (CrRoom *self,
                                           gint64  now);

/* Mutes the store kept (cr_store_list_mutes), loaded at start without an
 * event: end_wall is the end on the wall clock (0: until lifted). The
 * room's mute clock is the caller's monotonic one, which it learns only in
 * cr_room_settle_mutes: until then a loaded mute holds, as if until lifted,
 * and cr_room_next_mute_end is 0 (settle now). settle puts them on that
 * clock (now and now_wall the same instant) and drops, without an event,
 * those whose end has passed: their names are added to dropped (if given).
 * TRUE when any mute was waiting. */
void             cr_room_load_mute        (CrRoom     *self,
                                           const char *name,
                                           gint64      end_wall);
gboolean         cr_room_settle_mutes     (CrRoom     *self,
                                           gint64      now,
                                           gint64      now_wall,
                                           GPtrArray  *dropped);
/* The muted names (char*, sorted). */
GPtrArray       *cr_room_dup_mutes        (CrRoom *self);

/* Admins (CR_ROLE_ADMIN) by name; the store keeps them, the caller loads
 * them with cr_room_add_admin. What an admin may do is the engine's rule
 * (cr-engine-moderation.h). set_admin works on absent names too; the owner
 * is refused (NOT_ALLOWED); the state already so is NO_CHANGE. */
void             cr_room_add_admin        (CrRoom     *self,
                                           const char *name);
gboolean         cr_room_is_admin         (CrRoom     *self,
                                           const char *name);
GPtrArray       *cr_room_dup_admins       (CrRoom *self);   /* char*, sorted */
CrEvent         *cr_room_set_admin        (CrRoom      *self,
                                           const char  *name,
                                           gboolean     admin,
                                           gint64       now,
                                           CrReason    *reason);

/* Who acts now: an admin's name while the caller carries out that admin's
 * request, NULL for the owner (the default). The kick, ban and mute events
 * made meanwhile carry it (CrEvent.actor), so every reader can say who
 * did it; the caller sets it back to NULL when done. */
void             cr_room_set_actor        (CrRoom     *self,
                                           const char *admin_name);

/* Mute-all: members (not the owner, not admins) are refused with
 * CR_REASON_MUTED_ALL. admin_name: who did it, NULL or "" for the owner
 * (the event's name). load: at start, from the store, without an event. */
gboolean         cr_room_get_mute_all     (CrRoom *self);
void             cr_room_load_mute_all    (CrRoom   *self,
                                           gboolean  mute_all);
CrEvent         *cr_room_set_mute_all     (CrRoom      *self,
                                           gboolean     mute_all,
                                           const char  *admin_name,
                                           gint64       now,
                                           CrReason    *reason);

/* The pinned announcement (群公告): valid text of at most CR_PIN_MAX_BYTES,
 * or NULL/"" to remove it (PIN or UNPIN event). */
#define CR_PIN_MAX_BYTES 512
const char      *cr_room_get_pin          (CrRoom *self);
void             cr_room_load_pin         (CrRoom     *self,
                                           const char *text);
CrEvent         *cr_room_set_pin          (CrRoom      *self,
                                           const char  *text,
                                           gint64       now,
                                           CrReason    *reason);

/* Everyone leaves; returns the ROOM_CLOSED event. */
CrEvent         *cr_room_close            (CrRoom *self,
                                           gint64  now);

void             cr_room_touch            (CrRoom  *self,
                                           guint32  member_id,
                                           gint64   now);
const CrRoomMember *cr_room_lookup        (CrRoom     *self,
                                           guint32     member_id);
const CrRoomMember *cr_room_lookup_name   (CrRoom     *self,
                                           const char *name);
/* Members sorted owner first, then admins, then by name (CrRoomMember*, borrowed). */
GPtrArray       *cr_room_list_members     (CrRoom *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CrRoom, cr_room_free)

G_END_DECLS
