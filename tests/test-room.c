/* test-room.c: the room state machine
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "test-room"

#include "config.h"

#include <locale.h>

#include "cr-protocol.h"
#include "cr-room.h"

#define T0 ((gint64) 1700000000 * G_USEC_PER_SEC)

/* Joins name as a member and asserts it worked; returns the member id. */
static guint32
join_ok (CrRoom     *room,
         const char *name,
         CrRole      role,
         gint64      now)
{
  g_autoptr(CrEvent) event = NULL;
  CrReason reason = CR_REASON_LAST;
  guint32 id = 0;

  event = cr_room_join (room, name, role, 0, now, &id, &reason);
  g_assert_nonnull (event);
  g_assert_cmpint (reason, ==, CR_REASON_NONE);
  g_assert_cmpint (event->kind, ==, CR_EVENT_JOIN);
  g_assert_cmpuint (id, !=, 0);
  return id;
}

static void
assert_join_refused (CrRoom     *room,
                     const char *name,
                     CrReason    expected)
{
  g_autoptr(CrEvent) event = NULL;
  g_autofree char *normalized = NULL;
  CrReason reason = CR_REASON_NONE;
  guint32 id = 12345;
  guint n_before = cr_room_get_n_members (room);
  guint64 seq_before = cr_room_get_last_seq (room);

  g_assert_cmpint (cr_room_check_join (room, name, &normalized), ==, expected);
  g_assert_null (normalized);

  event = cr_room_join (room, name, CR_ROLE_MEMBER, 0, T0, &id, &reason);
  g_assert_null (event);
  g_assert_cmpint (reason, ==, expected);
  g_assert_cmpuint (id, ==, 0);
  g_assert_cmpuint (cr_room_get_n_members (room), ==, n_before);
  /* A refusal is no event: the sequence does not move. */
  g_assert_cmpuint (cr_room_get_last_seq (room), ==, seq_before);
}

static void
test_join (void)
{
  g_autoptr(CrRoom) room = cr_room_new ("lobby", 10, 0);
  g_autoptr(CrEvent) event = NULL;
  g_autofree char *normalized = NULL;
  const CrRoomMember *member;
  CrReason reason = CR_REASON_LAST;
  guint32 id = 0;

  g_assert_cmpstr (cr_room_get_name (room), ==, "lobby");
  g_assert_cmpuint (cr_room_get_n_members (room), ==, 0);

  g_assert_cmpint (cr_room_check_join (room, "alice", &normalized), ==, CR_REASON_NONE);
  g_assert_cmpstr (normalized, ==, "alice");

  event = cr_room_join (room, "Alice", CR_ROLE_MEMBER, CR_MEMBER_REGISTERED, T0, &id, &reason);
  g_assert_nonnull (event);
  g_assert_cmpint (reason, ==, CR_REASON_NONE);
  g_assert_cmpuint (id, ==, 1);
  g_assert_cmpint (event->kind, ==, CR_EVENT_JOIN);
  g_assert_cmpstr (event->name, ==, "Alice");
  g_assert_cmpstr (event->text, ==, "");
  g_assert_cmpuint (event->seq, ==, 1);
  g_assert_cmpint (event->time_us, ==, T0);
  g_assert_cmpuint (cr_room_get_n_members (room), ==, 1);

  member = cr_room_lookup (room, id);
  g_assert_nonnull (member);
  g_assert_cmpuint (member->id, ==, id);
  g_assert_cmpstr (member->name, ==, "Alice");
  g_assert_cmpstr (member->fold, ==, "alice");
  g_assert_cmpint (member->role, ==, CR_ROLE_MEMBER);
  g_assert_cmpuint (member->flags, ==, CR_MEMBER_REGISTERED);
  g_assert_cmpint (member->joined_us, ==, T0);
  g_assert_cmpint (member->last_active_us, ==, T0);

  g_assert_true (cr_room_lookup_name (room, "ALICE") == member);
  g_assert_null (cr_room_lookup_name (room, "bob"));
  g_assert_null (cr_room_lookup_name (room, "bad name"));
  g_assert_null (cr_room_lookup (room, 99));

  cr_room_touch (room, id, T0 + 5);
  g_assert_cmpint (member->last_active_us, ==, T0 + 5);
  cr_room_touch (room, 99, T0 + 5);   /* unknown id: nothing happens */
}

static void
test_leave (void)
{
  g_autoptr(CrRoom) room = cr_room_new ("lobby", 10, 0);
  g_autoptr(CrEvent) event = NULL;
  g_autoptr(CrEvent) again = NULL;
  guint32 alice = join_ok (room, "alice", CR_ROLE_MEMBER, T0);
  guint32 bob = join_ok (room, "bob", CR_ROLE_MEMBER, T0);
  guint32 alice2;

  event = cr_room_leave (room, alice, CR_EVENT_LEAVE, T0 + 1);
  g_assert_nonnull (event);
  g_assert_cmpint (event->kind, ==, CR_EVENT_LEAVE);
  g_assert_cmpstr (event->name, ==, "alice");
  g_assert_cmpint (event->time_us, ==, T0 + 1);
  g_assert_null (cr_room_lookup (room, alice));
  g_assert_null (cr_room_lookup_name (room, "alice"));
  g_assert_nonnull (cr_room_lookup (room, bob));
  g_assert_cmpuint (cr_room_get_n_members (room), ==, 1);

  /* No such member any more. */
  again = cr_room_leave (room, alice, CR_EVENT_LEAVE, T0 + 2);
  g_assert_null (again);

  /* The name is free again, and ids are never reused. */
  alice2 = join_ok (room, "alice", CR_ROLE_MEMBER, T0 + 3);
  g_assert_cmpuint (alice2, !=, alice);
  g_assert_cmpuint (alice2, !=, bob);
}

static void
test_timeout (void)
{
  g_autoptr(CrRoom) room = cr_room_new ("lobby", 10, 0);
  g_autoptr(CrEvent) event = NULL;
  guint32 id = join_ok (room, "carol", CR_ROLE_MEMBER, T0);

  event = cr_room_leave (room, id, CR_EVENT_TIMEOUT, T0 + 15 * G_USEC_PER_SEC);
  g_assert_nonnull (event);
  g_assert_cmpint (event->kind, ==, CR_EVENT_TIMEOUT);
  g_assert_cmpstr (event->name, ==, "carol");
  g_assert_cmpuint (cr_room_get_n_members (room), ==, 0);
}

static void
test_name_taken (void)
{
  g_autoptr(CrRoom) room = cr_room_new ("lobby", 10, 0);
  /* "é" precomposed (U+00E9) and decomposed (e + U+0301). */
  const char *composed = "Ren\xc3\xa9";
  const char *decomposed = "Rene\xcc\x81";
  g_autofree char *normalized = NULL;
  const CrRoomMember *member;
  guint32 id;

  join_ok (room, "Alice", CR_ROLE_MEMBER, T0);
  assert_join_refused (room, "Alice", CR_REASON_NAME_TAKEN);
  assert_join_refused (room, "alice", CR_REASON_NAME_TAKEN);
  assert_join_refused (room, "ALICE", CR_REASON_NAME_TAKEN);

  id = join_ok (room, decomposed, CR_ROLE_MEMBER, T0);
  member = cr_room_lookup (room, id);
  /* Stored in NFC, as the member typed it otherwise. */
  g_assert_cmpstr (member->name, ==, composed);
  assert_join_refused (room, composed, CR_REASON_NAME_TAKEN);
  assert_join_refused (room, "REN\xc3\x89", CR_REASON_NAME_TAKEN);
  assert_join_refused (room, "rene\xcc\x81", CR_REASON_NAME_TAKEN);
  g_assert_true (cr_room_lookup_name (room, composed) == member);

  /* A different name is not taken. */
  g_assert_cmpint (cr_room_check_join (room, "Rene", &normalized), ==, CR_REASON_NONE);
  g_assert_cmpstr (normalized, ==, "Rene");
  g_assert_cmpuint (cr_room_get_n_members (room), ==, 2);
}

static void
test_invalid_names (void)
{
  g_autoptr(CrRoom) room = cr_room_new ("lobby", 10, 0);
  g_autofree char *max_name = g_strnfill (CR_NAME_MAX_CHARS, 'x');
  g_autofree char *long_name = g_strnfill (CR_NAME_MAX_CHARS + 1, 'x');
  /* 32 CJK characters: 96 bytes, still 32 characters. */
  g_autoptr(GString) cjk = g_string_new (NULL);

  for (guint i = 0; i < CR_NAME_MAX_CHARS; i++)
    g_string_append (cjk, "\xe5\xad\xa6");   /* 学 */

  assert_join_refused (room, "", CR_REASON_NAME_INVALID);
  assert_join_refused (room, "al ice", CR_REASON_NAME_INVALID);
  assert_join_refused (room, " alice", CR_REASON_NAME_INVALID);
  assert_join_refused (room, "al\tice", CR_REASON_NAME_INVALID);
  assert_join_refused (room, "al\x01ice", CR_REASON_NAME_INVALID);
  assert_join_refused (room, "al\nice", CR_REASON_NAME_INVALID);
  assert_join_refused (room, "al\xc2\x85ice", CR_REASON_NAME_INVALID);   /* U+0085 NEL */
  assert_join_refused (room, "a\xe2\x80\x8b" "b", CR_REASON_NAME_INVALID); /* ZWSP */
  assert_join_refused (room, "\xff\xfe", CR_REASON_NAME_INVALID);       /* not UTF-8 */
  assert_join_refused (room, long_name, CR_REASON_NAME_INVALID);
  assert_join_refused (room, NULL, CR_REASON_NAME_INVALID);

  join_ok (room, max_name, CR_ROLE_MEMBER, T0);
  join_ok (room, cjk->str, CR_ROLE_MEMBER, T0);
  g_assert_cmpuint (cr_room_get_n_members (room), ==, 2);
}

static void
test_room_full (void)
{
  g_autoptr(CrRoom) room = cr_room_new ("lobby", 3, 0);
  g_autoptr(CrEvent) event = NULL;
  guint32 ids[3];

  for (guint i = 0; i < G_N_ELEMENTS (ids); i++)
    {
      g_autofree char *name = g_strdup_printf ("m%u", i);

      ids[i] = join_ok (room, name, CR_ROLE_MEMBER, T0);
    }
  assert_join_refused (room, "late", CR_REASON_ROOM_FULL);
  /* Taken comes before full. */
  assert_join_refused (room, "M0", CR_REASON_NAME_TAKEN);
  /* Invalid before everything. */
  assert_join_refused (room, "bad name", CR_REASON_NAME_INVALID);

  event = cr_room_leave (room, ids[1], CR_EVENT_LEAVE, T0);
  g_assert_nonnull (event);
  join_ok (room, "late", CR_ROLE_MEMBER, T0);
  assert_join_refused (room, "later", CR_REASON_ROOM_FULL);

  /* Raising the limit lets one more in; lowering it keeps everyone. */
  cr_room_set_max_members (room, 4);
  g_assert_cmpuint (cr_room_get_max_members (room), ==, 4);
  join_ok (room, "later", CR_ROLE_MEMBER, T0);
  cr_room_set_max_members (room, 2);
  g_assert_cmpuint (cr_room_get_n_members (room), ==, 4);
  assert_join_refused (room, "latest", CR_REASON_ROOM_FULL);

  /* 0 is no limit. */
  cr_room_set_max_members (room, 0);
  join_ok (room, "latest", CR_ROLE_MEMBER, T0);
}

static void
test_ban (void)
{
  g_autoptr(CrRoom) room = cr_room_new ("lobby", 10, 0);
  guint32 owner = join_ok (room, "teacher", CR_ROLE_OWNER, T0);
  guint32 alice = join_ok (room, "Alice", CR_ROLE_MEMBER, T0);
  guint32 removed = 99;
  CrReason reason = CR_REASON_LAST;
  g_autoptr(GPtrArray) bans = NULL;

  /* A present member: banned and removed. */
  {
    g_autoptr(CrEvent) event = cr_room_ban (room, "ALICE", T0 + 1, &removed, &reason);

    g_assert_nonnull (event);
    g_assert_cmpint (reason, ==, CR_REASON_NONE);
    g_assert_cmpint (event->kind, ==, CR_EVENT_BAN);
    g_assert_cmpstr (event->name, ==, "Alice");
    g_assert_cmpint (event->time_us, ==, T0 + 1);
    g_assert_cmpuint (removed, ==, alice);
    g_assert_null (cr_room_lookup (room, alice));
    g_assert_cmpuint (cr_room_get_n_members (room), ==, 1);
  }
  assert_join_refused (room, "alice", CR_REASON_BANNED);
  g_assert_true (cr_room_is_banned (room, "aLiCe"));

  /* An absent name: banned all the same, nobody removed. */
  {
    g_autoptr(CrEvent) event = cr_room_ban (room, "Mallory", T0 + 2, &removed, &reason);

    g_assert_nonnull (event);
    g_assert_cmpint (event->kind, ==, CR_EVENT_BAN);
    g_assert_cmpstr (event->name, ==, "Mallory");
    g_assert_cmpuint (removed, ==, 0);
  }
  assert_join_refused (room, "mallory", CR_REASON_BANNED);

  /* Banned comes before taken and full. */
  cr_room_set_max_members (room, 1);
  assert_join_refused (room, "MALLORY", CR_REASON_BANNED);
  cr_room_set_max_members (room, 10);

  /* Again: nothing to do. */
  {
    g_autoptr(CrEvent) event = cr_room_ban (room, "mallory", T0, &removed, &reason);

    g_assert_null (event);
    g_assert_cmpint (reason, ==, CR_REASON_NO_CHANGE);
  }

  /* The owner can not be banned; invalid names are refused. */
  {
    g_autoptr(CrEvent) event = cr_room_ban (room, "Teacher", T0, &removed, &reason);

    g_assert_null (event);
    g_assert_cmpint (reason, ==, CR_REASON_NOT_ALLOWED);
    g_assert_nonnull (cr_room_lookup (room, owner));
    g_assert_false (cr_room_is_banned (room, "teacher"));
  }
  {
    g_autoptr(CrEvent) event = cr_room_ban (room, "two words", T0, &removed, &reason);

    g_assert_null (event);
    g_assert_cmpint (reason, ==, CR_REASON_NAME_INVALID);
  }

  bans = cr_room_dup_bans (room);
  g_assert_cmpuint (bans->len, ==, 2);
  g_assert_cmpstr (g_ptr_array_index (bans, 0), ==, "Alice");
  g_assert_cmpstr (g_ptr_array_index (bans, 1), ==, "Mallory");
}

static void
test_add_ban (void)
{
  g_autoptr(CrRoom) room = cr_room_new ("lobby", 10, 0);
  guint32 removed = 99;
  CrReason reason = CR_REASON_LAST;
  guint32 eve;

  /* Bans loaded from the store. */
  cr_room_add_ban (room, "Trudy");
  cr_room_add_ban (room, "not valid");   /* ignored */
  g_assert_true (cr_room_is_banned (room, "TRUDY"));
  g_assert_false (cr_room_is_banned (room, "not valid"));
  g_assert_false (cr_room_is_banned (room, "eve"));
  assert_join_refused (room, "trudy", CR_REASON_BANNED);
  g_assert_cmpuint (cr_room_get_last_seq (room), ==, 0);

  /* A ban loaded while the member is inside: banning again removes them. */
  eve = join_ok (room, "eve", CR_ROLE_MEMBER, T0);
  cr_room_add_ban (room, "Eve");
  {
    g_autoptr(CrEvent) event = cr_room_ban (room, "eve", T0, &removed, &reason);

    g_assert_nonnull (event);
    g_assert_cmpuint (removed, ==, eve);
  }
}

static void
test_unban (void)
{
  g_autoptr(CrRoom) room = cr_room_new ("lobby", 10, 0);
  CrReason reason = CR_REASON_LAST;
  g_autoptr(GPtrArray) bans = NULL;

  {
    g_autoptr(CrEvent) event = cr_room_ban (room, "Bob", T0, NULL, &reason);

    g_assert_nonnull (event);
  }
  assert_join_refused (room, "bob", CR_REASON_BANNED);
  {
    g_autoptr(CrEvent) event = cr_room_unban (room, "BOB", T0 + 1, &reason);

    g_assert_nonnull (event);
    g_assert_cmpint (reason, ==, CR_REASON_NONE);
    g_assert_cmpint (event->kind, ==, CR_EVENT_UNBAN);
    g_assert_cmpstr (event->name, ==, "Bob");
  }
  g_assert_false (cr_room_is_banned (room, "bob"));
  join_ok (room, "bob", CR_ROLE_MEMBER, T0 + 2);

  /* Not banned: refused. */
  {
    g_autoptr(CrEvent) event = cr_room_unban (room, "bob", T0, &reason);

    g_assert_null (event);
    g_assert_cmpint (reason, ==, CR_REASON_NO_CHANGE);
  }
  {
    g_autoptr(CrEvent) event = cr_room_unban (room, "", T0, &reason);

    g_assert_null (event);
    g_assert_cmpint (reason, ==, CR_REASON_NAME_INVALID);
  }
  bans = cr_room_dup_bans (room);
  g_assert_cmpuint (bans->len, ==, 0);
}

static void
assert_say (CrRoom     *room,
            guint32     id,
            const char *text,
            CrReason    expected)
{
  g_autoptr(CrEvent) event = NULL;
  CrReason reason = CR_REASON_LAST;
  guint64 seq_before = cr_room_get_last_seq (room);

  event = cr_room_say (room, id, text, 77, T0 + 9, &reason);
  g_assert_cmpint (reason, ==, expected);
  if (expected == CR_REASON_NONE)
    {
      g_assert_nonnull (event);
      g_assert_cmpstr (event->text, ==, text);
      g_assert_cmpuint (event->origin, ==, 77);
      g_assert_cmpuint (event->seq, ==, seq_before + 1);
    }
  else
    {
      g_assert_null (event);
      g_assert_cmpuint (cr_room_get_last_seq (room), ==, seq_before);
    }
}

static void
test_mute (void)
{
  g_autoptr(CrRoom) room = cr_room_new ("lobby", 10, 0);
  guint32 owner = join_ok (room, "teacher", CR_ROLE_OWNER, T0);
  guint32 alice = join_ok (room, "alice", CR_ROLE_MEMBER, T0);
  const CrRoomMember *member = cr_room_lookup (room, alice);
  CrReason reason = CR_REASON_LAST;

  assert_say (room, alice, "hello", CR_REASON_NONE);
  g_assert_cmpint (member->last_active_us, ==, T0 + 9);
  {
    g_autoptr(CrEvent) event = cr_room_mute (room, "Alice", T0 + 1, &reason);

    g_assert_nonnull (event);
    g_assert_cmpint (reason, ==, CR_REASON_NONE);
    g_assert_cmpint (event->kind, ==, CR_EVENT_MUTE);
    g_assert_cmpstr (event->name, ==, "alice");
  }
  g_assert_true (member->flags & CR_MEMBER_MUTED);
  assert_say (room, alice, "still here?", CR_REASON_MUTED);
  /* Muted comes before an invalid text. */
  assert_say (room, alice, "", CR_REASON_MUTED);

  /* Twice: refused. */
  {
    g_autoptr(CrEvent) event = cr_room_mute (room, "alice", T0, &reason);

    g_assert_null (event);
    g_assert_cmpint (reason, ==, CR_REASON_NO_CHANGE);
  }

  /* Leaving and coming back does not lift the mute. */
  {
    g_autoptr(CrEvent) event = cr_room_leave (room, alice, CR_EVENT_LEAVE, T0);

    g_assert_nonnull (event);
  }
  alice = join_ok (room, "ALICE", CR_ROLE_MEMBER, T0 + 2);
  member = cr_room_lookup (room, alice);
  g_assert_true (member->flags & CR_MEMBER_MUTED);
  assert_say (room, alice, "let me speak", CR_REASON_MUTED);

  {
    g_autoptr(CrEvent) event = cr_room_unmute (room, "alice", T0 + 3, &reason);

    g_assert_nonnull (event);
    g_assert_cmpint (reason, ==, CR_REASON_NONE);
    g_assert_cmpint (event->kind, ==, CR_EVENT_UNMUTE);
    g_assert_cmpstr (event->name, ==, "ALICE");
  }
  g_assert_false (member->flags & CR_MEMBER_MUTED);
  assert_say (room, alice, "thanks", CR_REASON_NONE);

  /* Not muted: refused. */
  {
    g_autoptr(CrEvent) event = cr_room_unmute (room, "alice", T0, &reason);

    g_assert_null (event);
    g_assert_cmpint (reason, ==, CR_REASON_NO_CHANGE);
  }
  /* No such member, and the owner: refused. */
  {
    g_autoptr(CrEvent) event = cr_room_mute (room, "nobody", T0, &reason);

    g_assert_null (event);
    g_assert_cmpint (reason, ==, CR_REASON_NO_SUCH_MEMBER);
  }
  {
    g_autoptr(CrEvent) event = cr_room_mute (room, "teacher", T0, &reason);

    g_assert_null (event);
    g_assert_cmpint (reason, ==, CR_REASON_NOT_ALLOWED);
    g_assert_false (cr_room_lookup (room, owner)->flags & CR_MEMBER_MUTED);
  }
}

static void
test_say (void)
{
  g_autoptr(CrRoom) room = cr_room_new ("lobby", 10, 0);
  guint32 alice = join_ok (room, "alice", CR_ROLE_MEMBER, T0);
  g_autofree char *too_long = g_strnfill (CR_TEXT_MAX_BYTES + 1, 'a');
  g_autofree char *longest = g_strnfill (CR_TEXT_MAX_BYTES, 'a');
  CrReason reason = CR_REASON_LAST;

  assert_say (room, alice, "two\nlines\tand a tab", CR_REASON_NONE);
  assert_say (room, alice, "\xe4\xbd\xa0\xe5\xa5\xbd", CR_REASON_NONE);   /* 你好 */
  assert_say (room, alice, longest, CR_REASON_NONE);
  assert_say (room, alice, too_long, CR_REASON_TEXT_INVALID);
  assert_say (room, alice, "", CR_REASON_TEXT_INVALID);
  assert_say (room, alice, "   ", CR_REASON_TEXT_INVALID);
  assert_say (room, alice, "bell\x07", CR_REASON_TEXT_INVALID);
  assert_say (room, alice, "\xc3\x28", CR_REASON_TEXT_INVALID);
  assert_say (room, alice, NULL, CR_REASON_TEXT_INVALID);

  {
    g_autoptr(CrEvent) event = cr_room_say (room, alice, "hi", 5, T0, &reason);

    g_assert_nonnull (event);
    g_assert_cmpint (event->kind, ==, CR_EVENT_CHAT);
    g_assert_cmpstr (event->name, ==, "alice");
  }
  /* Unknown member. */
  {
    g_autoptr(CrEvent) event = cr_room_say (room, 999, "hi", 5, T0, &reason);

    g_assert_null (event);
    g_assert_cmpint (reason, !=, CR_REASON_NONE);
  }
}

static void
test_owner_chat (void)
{
  g_autoptr(CrRoom) room = cr_room_new ("lobby", 10, 0);
  guint32 owner = join_ok (room, "teacher", CR_ROLE_OWNER, T0);
  CrReason reason = CR_REASON_LAST;

  {
    g_autoptr(CrEvent) event = cr_room_say (room, owner, "class at 10:30", 3, T0, &reason);

    g_assert_nonnull (event);
    g_assert_cmpint (event->kind, ==, CR_EVENT_OWNER_CHAT);
    g_assert_cmpstr (event->name, ==, "teacher");
    g_assert_cmpstr (event->text, ==, "class at 10:30");
    g_assert_cmpuint (event->origin, ==, 3);
  }
  {
    g_autoptr(CrEvent) event = cr_room_owner_say (room, NULL, "from the console", T0, &reason);

    g_assert_nonnull (event);
    g_assert_cmpint (event->kind, ==, CR_EVENT_OWNER_CHAT);
    g_assert_cmpstr (event->name, ==, "");
    g_assert_cmpstr (event->text, ==, "from the console");
  }
  {
    g_autoptr(CrEvent) event = cr_room_owner_say (room, "boss", "signed", T0, &reason);

    g_assert_nonnull (event);
    g_assert_cmpstr (event->name, ==, "boss");
  }
  {
    g_autoptr(CrEvent) event = cr_room_owner_say (room, NULL, "", T0, &reason);

    g_assert_null (event);
    g_assert_cmpint (reason, ==, CR_REASON_TEXT_INVALID);
  }
  {
    g_autoptr(CrEvent) event = cr_room_announce (room, "exam tomorrow", T0, &reason);

    g_assert_nonnull (event);
    g_assert_cmpint (reason, ==, CR_REASON_NONE);
    g_assert_cmpint (event->kind, ==, CR_EVENT_ANNOUNCE);
    g_assert_cmpstr (event->text, ==, "exam tomorrow");
  }
  {
    g_autoptr(CrEvent) event = cr_room_announce (room, "\x01", T0, &reason);

    g_assert_null (event);
    g_assert_cmpint (reason, ==, CR_REASON_TEXT_INVALID);
  }
}

static void
test_kick (void)
{
  g_autoptr(CrRoom) room = cr_room_new ("lobby", 10, 0);
  guint32 owner = join_ok (room, "teacher", CR_ROLE_OWNER, T0);
  guint32 bob = join_ok (room, "Bob", CR_ROLE_MEMBER, T0);
  guint32 removed = 99;
  CrReason reason = CR_REASON_LAST;

  {
    g_autoptr(CrEvent) event = cr_room_kick (room, "bob", T0 + 4, &removed, &reason);

    g_assert_nonnull (event);
    g_assert_cmpint (reason, ==, CR_REASON_NONE);
    g_assert_cmpint (event->kind, ==, CR_EVENT_KICK);
    g_assert_cmpstr (event->name, ==, "Bob");
    g_assert_cmpint (event->time_us, ==, T0 + 4);
    g_assert_cmpuint (removed, ==, bob);
  }
  g_assert_null (cr_room_lookup (room, bob));
  g_assert_null (cr_room_lookup_name (room, "Bob"));
  g_assert_cmpuint (cr_room_get_n_members (room), ==, 1);

  /* Gone already. */
  {
    g_autoptr(CrEvent) event = cr_room_kick (room, "bob", T0, &removed, &reason);

    g_assert_null (event);
    g_assert_cmpuint (removed, ==, 0);
    g_assert_cmpint (reason, ==, CR_REASON_NO_SUCH_MEMBER);
  }
  /* Not the owner. */
  {
    g_autoptr(CrEvent) event = cr_room_kick (room, "TEACHER", T0, &removed, &reason);

    g_assert_null (event);
    g_assert_cmpuint (removed, ==, 0);
    g_assert_cmpint (reason, ==, CR_REASON_NOT_ALLOWED);
    g_assert_nonnull (cr_room_lookup (room, owner));
  }
  /* A kick is no ban: Bob may come back. */
  join_ok (room, "bob", CR_ROLE_MEMBER, T0 + 5);
}

static void
test_seq (void)
{
  /* Start past 2^32: seqs are 64-bit all the way. */
  const guint64 start = (guint64) G_MAXUINT32 - 10;
  g_autoptr(CrRoom) room = cr_room_new ("lobby", 10, start);
  guint64 last;
  guint32 alice;
  CrReason reason;

  g_assert_cmpuint (cr_room_get_last_seq (room), ==, start);
  alice = join_ok (room, "alice", CR_ROLE_MEMBER, T0);
  g_assert_cmpuint (cr_room_get_last_seq (room), ==, start + 1);
  last = start + 1;

  for (guint i = 0; i < 100; i++)
    {
      g_autofree char *text = g_strdup_printf ("message %u", i);
      g_autoptr(CrEvent) event = NULL;

      /* Every other one is refused: refusals take no number. */
      event = cr_room_say (room, alice, i % 2 ? text : "", i, T0 + i, &reason);
      if (i % 2 == 0)
        {
          g_assert_null (event);
          g_assert_cmpint (reason, ==, CR_REASON_TEXT_INVALID);
          continue;
        }
      g_assert_nonnull (event);
      g_assert_cmpuint (event->seq, ==, last + 1);
      g_assert_cmpint (event->time_us, ==, T0 + i);
      last = event->seq;
    }
  g_assert_cmpuint (cr_room_get_last_seq (room), ==, start + 1 + 50);

  /* Every kind of event takes the next number. */
  {
    g_autoptr(CrEvent) mute = cr_room_mute (room, "alice", T0, &reason);
    g_autoptr(CrEvent) unmute = cr_room_unmute (room, "alice", T0, &reason);
    g_autoptr(CrEvent) announce = cr_room_announce (room, "hi", T0, &reason);
    g_autoptr(CrEvent) owner = cr_room_owner_say (room, NULL, "hi", T0, &reason);
    g_autoptr(CrEvent) ban = cr_room_ban (room, "x", T0, NULL, &reason);
    g_autoptr(CrEvent) unban = cr_room_unban (room, "x", T0, &reason);
    g_autoptr(CrEvent) kick = cr_room_kick (room, "alice", T0, NULL, &reason);
    g_autoptr(CrEvent) closed = cr_room_close (room, T0);
    const CrEvent *events[] = { mute, unmute, announce, owner, ban, unban, kick, closed };

    for (guint i = 0; i < G_N_ELEMENTS (events); i++)
      {
        g_assert_nonnull (events[i]);
        g_assert_cmpuint (events[i]->seq, ==, last + 1 + i);
      }
  }
}

static void
test_close (void)
{
  g_autoptr(CrRoom) room = cr_room_new ("lobby", 10, 7);
  g_autoptr(GPtrArray) members = NULL;
  guint32 ids[4];
  const char *names[] = { "teacher", "a", "b", "c" };

  for (guint i = 0; i < G_N_ELEMENTS (ids); i++)
    ids[i] = join_ok (room, names[i], i == 0 ? CR_ROLE_OWNER : CR_ROLE_MEMBER, T0);
  {
    g_autoptr(CrEvent) event = cr_room_ban (room, "troll", T0, NULL, NULL);

    g_assert_nonnull (event);
  }
  {
    g_autoptr(CrEvent) event = cr_room_close (room, T0 + 100);

    g_assert_nonnull (event);
    g_assert_cmpint (event->kind, ==, CR_EVENT_ROOM_CLOSED);
    g_assert_cmpint (event->time_us, ==, T0 + 100);
    g_assert_cmpuint (event->seq, ==, 7 + 4 + 1 + 1);
  }
  g_assert_cmpuint (cr_room_get_n_members (room), ==, 0);
  for (guint i = 0; i < G_N_ELEMENTS (ids); i++)
    {
      g_assert_null (cr_room_lookup (room, ids[i]));
      g_assert_null (cr_room_lookup_name (room, names[i]));
    }
  members = cr_room_list_members (room);
  g_assert_cmpuint (members->len, ==, 0);
  /* Bans are not the room session's: they stay. */
  g_assert_true (cr_room_is_banned (room, "troll"));
}

static void
test_list_order (void)
{
  g_autoptr(CrRoom) room = cr_room_new ("lobby", 10, 0);
  g_autoptr(GPtrArray) members = NULL;
  const char *order[] = { "zed", "alice", "Bob", "carol", "Dave" };

  /* The owner has the last name alphabetically and joins in the middle. */
  join_ok (room, "carol", CR_ROLE_MEMBER, T0);
  join_ok (room, "Bob", CR_ROLE_MEMBER, T0);
  join_ok (room, "zed", CR_ROLE_OWNER, T0);
  join_ok (room, "Dave", CR_ROLE_MEMBER, T0);
  join_ok (room, "alice", CR_ROLE_MEMBER, T0);

  members = cr_room_list_members (room);
  g_assert_cmpuint (members->len, ==, G_N_ELEMENTS (order));
  for (guint i = 0; i < members->len; i++)
    {
      const CrRoomMember *member = g_ptr_array_index (members, i);

      g_assert_cmpstr (member->name, ==, order[i]);
    }
  g_assert_cmpint (((CrRoomMember *) g_ptr_array_index (members, 0))->role, ==, CR_ROLE_OWNER);
}

static void
test_many (void)
{
  g_autoptr(CrRoom) room = cr_room_new ("lobby", 0, 0);
  g_autoptr(GPtrArray) members = NULL;
  const guint n = 2000;

  /* Hash lookups: thousands of joins and lookups stay fast. */
  for (guint i = 0; i < n; i++)
    {
      g_autofree char *name = g_strdup_printf ("user%04u", i);

      join_ok (room, name, CR_ROLE_MEMBER, T0);
    }
  for (guint i = 0; i < n; i++)
    {
      g_autofree char *name = g_strdup_printf ("USER%04u", i);
      const CrRoomMember *member = cr_room_lookup_name (room, name);

      g_assert_nonnull (member);
      g_assert_true (cr_room_lookup (room, member->id) == member);
    }
  members = cr_room_list_members (room);
  g_assert_cmpuint (members->len, ==, n);
  g_assert_cmpstr (((CrRoomMember *) g_ptr_array_index (members, 0))->name, ==, "user0000");
  g_assert_cmpstr (((CrRoomMember *) g_ptr_array_index (members, n - 1))->name, ==, "user1999");
}

static void
test_name (void)
{
  g_autoptr(CrRoom) room = cr_room_new (NULL, 10, 0);

  g_assert_cmpstr (cr_room_get_name (room), ==, "");
  cr_room_set_name (room, "\xe4\xb8\x80\xe7\x8f\xad");
  g_assert_cmpstr (cr_room_get_name (room), ==, "\xe4\xb8\x80\xe7\x8f\xad");
}

int
main (int   argc,
      char *argv[])
{
  setlocale (LC_ALL, "C.UTF-8");
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/chatroom/room/join", test_join);
  g_test_add_func ("/chatroom/room/leave", test_leave);
  g_test_add_func ("/chatroom/room/timeout", test_timeout);
  g_test_add_func ("/chatroom/room/name-taken", test_name_taken);
  g_test_add_func ("/chatroom/room/invalid-names", test_invalid_names);
  g_test_add_func ("/chatroom/room/full", test_room_full);
  g_test_add_func ("/chatroom/room/ban", test_ban);
  g_test_add_func ("/chatroom/room/add-ban", test_add_ban);
  g_test_add_func ("/chatroom/room/unban", test_unban);
  g_test_add_func ("/chatroom/room/mute", test_mute);
  g_test_add_func ("/chatroom/room/say", test_say);
  g_test_add_func ("/chatroom/room/owner-chat", test_owner_chat);
  g_test_add_func ("/chatroom/room/kick", test_kick);
  g_test_add_func ("/chatroom/room/seq", test_seq);
  g_test_add_func ("/chatroom/room/close", test_close);
  g_test_add_func ("/chatroom/room/list-order", test_list_order);
  g_test_add_func ("/chatroom/room/many", test_many);
  g_test_add_func ("/chatroom/room/name", test_name);

  return g_test_run ();
}
