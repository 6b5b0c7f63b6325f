/* cr-room-private.h: what cr-room.c and cr-room-moderation.c share
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "cr-room.h"

G_BEGIN_DECLS

typedef struct
{
  CrRoomMember  pub;          /* first: a RoomMember* is a CrRoomMember* */
  char         *collate_key;  /* g_utf8_collate_key of pub.fold, for sorting */
} RoomMember;

struct _CrRoom
{
  char       *name;
  guint       max_members;    /* 0: no limit */
  guint64     last_seq;
  guint32     next_id;        /* 0 once every id was used: joins refused */

  GHashTable *members_by_id;    /* GUINT_TO_POINTER (id) → RoomMember* (owned) */
  GHashTable *members_by_fold;  /* fold (borrowed from the member) → RoomMember* */
  GHashTable *bans;             /* fold → NFC name, both owned */
  GHashTable *mutes;            /* fold (owned) → Mute* (owned) */
  GHashTable *admins;           /* fold → NFC name, both owned */
  gboolean    mute_all;
  char       *pin;              /* NULL: nothing pinned */
  char       *actor;            /* the admin acting now (cr_room_set_actor), or NULL */
};

typedef struct
{
  char   *name;                 /* NFC */
  gint64  until;                /* the caller's clock; 0: until lifted */
  gint64  end_wall;             /* loaded, not settled yet: its end on the wall
                                 * clock (until is 0 meanwhile); else 0 */
} Mute;

static inline void
set_reason (CrReason *reason,
            CrReason  value)
{
  if (reason != NULL)
    *reason = value;
}

/* Validates name and returns its folded key (transfer full), or NULL when it
 * is not a valid name. *out_nfc, when given, receives the NFC name. */
char    *_cr_room_fold_name      (const char  *name,
                                  char       **out_nfc);
CrEvent *_cr_room_next_event     (CrRoom      *self,
                                  gint64       now,
                                  CrEventKind  kind,
                                  const char  *name,
                                  const char  *text,
                                  guint64      origin);
int      _cr_room_compare_strings (gconstpointer a,
                                   gconstpointer b);
/* The values of a name table (bans, admins), copied and sorted. */
GPtrArray *_cr_room_dup_sorted_values (GHashTable *table);
Mute    *_cr_room_mute_new       (const char  *name,
                                  gint64       until);

G_END_DECLS
