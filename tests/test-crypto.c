/* test-crypto.c: the sealed native dialect, on real loopback sockets
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The seal and the replay window alone; the identity key file; the known
 * rooms file; then whole rooms seen through a tap (a UDP relay run by the
 * test, in the path between a member and the room) that records every
 * datagram, replays and tampers with them, and can play the impostor that
 * answers with its own key.
 */
#include "config.h"

#include <locale.h>
#include <string.h>
#include <sys/stat.h>

#include <glib/gstdio.h>

#include "cr-crypto.h"
#include "cr-protocol.h"
#include "cr-render.h"
#include "cr-server.h"
#include "cr-trust.h"
#include "cr-client-private.h"
#include "cr-test-net.h"
#include "cr-test-utils.h"

/* ------------------------------------------------------------------ */
/* The seal alone                                                     */

/* Two ends of one session, keyed by a real handshake. */
static void
make_pair (CrSeal *client,
           CrSeal *room)
{
  CrIdentity *identity = cr_identity_new ();
  CrHandshake hs;
  guint8 secret[32] = { 7 };
  guint8 room_ephemeral[CR_PUBLIC_KEY_BYTES];
  guint8 signature[CR_SIGNATURE_BYTES];
  static const guint8 address[] = { 2, 0x12, 0x34, 127, 0, 0, 1 };

  cr_handshake_init (&hs);
  cr_handshake_answer (identity, secret, address, sizeof address, hs.public_key,
                       room_ephemeral, signature);
  g_assert_true (cr_handshake_finish (&hs, room_ephemeral, cr_identity_get_public (identity),
                                      signature, client));
  g_assert_true (cr_handshake_room_keys (secret, address, sizeof address, hs.public_key, room));
  /* Another address derives other keys: the room's answer is bound to it. */
  {
    CrSeal other;
    static const guint8 elsewhere[] = { 2, 0x12, 0x35, 127, 0, 0, 1 };

    g_assert_true (cr_handshake_room_keys (secret, elsewhere, sizeof elsewhere,
                                           hs.public_key, &other));
    g_assert_true (memcmp (other.rx, room->rx, sizeof other.rx) != 0);
  }
  /* A signature by another identity does not hold. */
  {
    CrIdentity *impostor = cr_identity_new ();
    CrSeal unused;

    g_assert_false (cr_handshake_finish (&hs, room_ephemeral, cr_identity_get_public (impostor),
                                         signature, &unused));
    cr_identity_free (impostor);
  }
  cr_handshake_clear (&hs);
  cr_identity_free (identity);
}

static GBytes *
sample_inner (guint32 session)
{
  g_autoptr(GBytes) body = cr_body_chat (42, "the eagle lands at noon");
  CrHeader header = { CR_PROTOCOL_VERSION, CR_PACKET_CHAT, CR_FLAG_RELIABLE, session, 1,
                      0x0a0b0c0d, 0 };
  gsize len;
  const guint8 *data = g_bytes_get_data (body, &len);

  return cr_datagram_build (&header, data, len);
}

static CrOpenResult
open_copy (CrSeal       *seal,
           const guint8 *data,
           gsize         len)
{
  g_autoptr(GBytes) inner = NULL;
  CrOpenResult result = cr_seal_open (seal, data, len, &inner);

  g_assert_true ((result == CR_OPEN_OK) == (inner != NULL));
  return result;
}

static void
test_seal (void)
{
  CrSeal client, room;
  g_autoptr(GBytes) inner = sample_inner (0x01020304);
  g_autoptr(GBytes) sealed = NULL;
  g_autoptr(GBytes) opened = NULL;
  g_autofree guint8 *copy = NULL;
  const guint8 *data;
  gsize len;

  make_pair (&client, &room);
  sealed = cr_seal (&client, 0x01020304, NULL, g_bytes_get_data (inner, NULL),
                    g_bytes_get_size (inner));
  data = g_bytes_get_data (sealed, &len);
  g_assert_cmpuint (len, ==, g_bytes_get_size (inner) + CR_SEAL_OVERHEAD);
  g_assert_false (cr_test_bytes_contain (data, len, "eagle"));

  /* Every single flipped byte, header or body: not opened, and the window
   * does not move (the genuine one still opens afterwards). */
  copy = g_memdup2 (data, len);
  for (gsize i = 0; i < len; i++)
    {
      copy[i] ^= 0x20;
      g_assert_cmpint (open_copy (&room, copy, len), !=, CR_OPEN_OK);
      copy[i] ^= 0x20;
    }
  /* Cut short anywhere. */
  for (gsize cut = 0; cut < len; cut++)
    g_assert_cmpint (open_copy (&room, data, cut), !=, CR_OPEN_OK);
  /* The wrong direction's key. */
  g_assert_cmpint (open_copy (&client, data, len), ==, CR_OPEN_FAILED);

  g_assert_cmpint (cr_seal_open (&room, data, len, &opened), ==, CR_OPEN_OK);
  g_assert_true (g_bytes_equal (opened, inner));
  /* Once is all. */
  g_assert_cmpint (open_copy (&room, data, len), ==, CR_OPEN_REPLAYED);

  /* The window: out of order within 64 is fine, each once; older is not. */
  {
    g_autoptr(GPtrArray) many = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);

    for (guint i = 0; i < 100; i++)
      g_ptr_array_add (many, cr_seal (&client, 0x01020304, NULL,
                                      g_bytes_get_data (inner, NULL),
                                      g_bytes_get_size (inner)));
    /* Numbers 2..101: take 101 first, then 60, 40, 38 (101 - 63), 37. */
    g_assert_cmpint (open_copy (&room, g_bytes_get_data (many->pdata[99], NULL),
                                g_bytes_get_size (many->pdata[99])), ==, CR_OPEN_OK);
    g_assert_cmpint (open_copy (&room, g_bytes_get_data (many->pdata[58], NULL),
                                g_bytes_get_size (many->pdata[58])), ==, CR_OPEN_OK);
    g_assert_cmpint (open_copy (&room, g_bytes_get_data (many->pdata[58], NULL),
                                g_bytes_get_size (many->pdata[58])), ==, CR_OPEN_REPLAYED);
    g_assert_cmpint (open_copy (&room, g_bytes_get_data (many->pdata[36], NULL),
                                g_bytes_get_size (many->pdata[36])), ==, CR_OPEN_OK);
    g_assert_cmpint (open_copy (&room, g_bytes_get_data (many->pdata[35], NULL),
                                g_bytes_get_size (many->pdata[35])), ==, CR_OPEN_REPLAYED);
  }

  /* A JOIN carries the client's ephemeral key in clear, authenticated. */
  {
    g_autoptr(GBytes) join = NULL;
    guint8 ce[CR_PUBLIC_KEY_BYTES];
    const guint8 *peeked = NULL;
    guint32 session = 1;
    guint32 cookie = 0;
    CrHeader header;

    memset (ce, 0xab, sizeof ce);
    join = cr_seal (&client, 0, ce, g_bytes_get_data (inner, NULL), g_bytes_get_size (inner));
    g_assert_cmpuint (g_bytes_get_size (join), ==,
                      g_bytes_get_size (inner) + CR_SEAL_JOIN_OVERHEAD);
    g_assert_true (cr_sealed_peek (g_bytes_get_data (join, NULL), g_bytes_get_size (join),
                                   &session, &peeked, &cookie));
    g_assert_cmpuint (session, ==, 0);
    g_assert_cmpmem (peeked, sizeof ce, ce, sizeof ce);
    /* The inner header's ack (the cookie) is beside it in clear. */
    g_assert_cmpint (cr_header_parse (g_bytes_get_data (inner, NULL), g_bytes_get_size (inner),
                                      &header, NULL, NULL), ==, CR_PARSE_OK);
    g_assert_cmpuint (cookie, ==, header.ack);
    copy = (g_free (copy), g_memdup2 (g_bytes_get_data (join, NULL), g_bytes_get_size (join)));
    copy[CR_SEAL_HEADER_SIZE + 3] ^= 1;
    g_assert_cmpint (open_copy (&room, copy, g_bytes_get_size (join)), ==, CR_OPEN_FAILED);
    g_assert_cmpint (open_copy (&room, g_bytes_get_data (join, NULL),
                                g_bytes_get_size (join)), ==, CR_OPEN_OK);
  }

  cr_seal_clear (&client);
  cr_seal_clear (&room);
  g_assert_false (cr_seal_is_set (&room));
}

static void
test_fingerprint (void)
{
  CrIdentity *a = cr_identity_new ();
  CrIdentity *b = cr_identity_new ();
  g_autofree char *fa = cr_fingerprint (cr_identity_get_public (a));
  g_autofree char *fa2 = cr_fingerprint (cr_identity_get_public (a));
  g_autofree char *fb = cr_fingerprint (cr_identity_get_public (b));

  g_test_message ("fingerprint: %s", fa);
  g_assert_cmpuint (strlen (fa), ==, CR_FINGERPRINT_LEN);
  for (guint i = 0; i < CR_FINGERPRINT_LEN; i++)
    {
      if (i % 6 == 5)
        g_assert_cmpint (fa[i], ==, ' ');
      else
        g_assert_true (g_ascii_isdigit (fa[i]));
    }
  g_assert_cmpstr (fa, ==, fa2);
  g_assert_cmpstr (fa, !=, fb);
  cr_identity_free (a);
  cr_identity_free (b);
}

static void
test_identity_file (void)
{
  g_autofree char *dir = cr_test_make_tmpdir ();
  g_autofree char *path = g_build_filename (dir, "room-identity.key", NULL);
  g_autoptr(GError) error = NULL;
  CrIdentity *first, *again;
  GStatBuf st;

  first = cr_identity_load (path, &error);
  g_assert_no_error (error);
  g_assert_cmpint (g_stat (path, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);
  again = cr_identity_load (path, &error);
  g_assert_no_error (error);
  g_assert_cmpmem (cr_identity_get_public (first), 32, cr_identity_get_public (again), 32);
  cr_identity_free (again);

  /* Readable by others: refused, not used. */
  g_assert_cmpint (g_chmod (path, 0644), ==, 0);
  again = cr_identity_load (path, &error);
  g_assert_error (error, CR_CRYPTO_ERROR, CR_CRYPTO_ERROR_BAD_KEY_FILE);
  g_assert_null (again);
  g_clear_error (&error);

  /* Not a key. */
  g_assert_true (g_file_set_contents (path, "hello", -1, NULL));
  g_assert_cmpint (g_chmod (path, 0600), ==, 0);
  again = cr_identity_load (path, &error);
  g_assert_error (error, CR_CRYPTO_ERROR, CR_CRYPTO_ERROR_BAD_KEY_FILE);
  g_assert_null (again);

  cr_identity_free (first);
  cr_test_remove_tree (dir);
}

static void
test_trust_file (void)
{
  g_autofree char *dir = cr_test_make_tmpdir ();
  g_autofree char *path = g_build_filename (dir, "sub", "known-rooms", NULL);
  g_autoptr(GError) error = NULL;
  guint8 k1[32], k2[32];

  memset (k1, 1, sizeof k1);
  memset (k2, 2, sizeof k2);
  {
    g_autoptr(CrTrust) trust = cr_trust_new (path);

    g_assert_null (cr_trust_lookup (trust, "room.lan:10024"));
    g_assert_cmpint (cr_trust_check (trust, "room.lan:10024", k1), ==, CR_TRUST_NEW);
    g_assert_true (cr_trust_remember (trust, "Room.LAN:10024", k1, &error));
    g_assert_no_error (error);
    g_assert_true (cr_trust_remember (trust, "[::1]:10024", k2, &error));
    g_assert_no_error (error);
  }
  {
    g_autoptr(CrTrust) trust = cr_trust_new (path);
    g_autofree char *contents = NULL;

    g_assert_cmpint (cr_trust_check (trust, "room.lan:10024", k1), ==, CR_TRUST_KNOWN);
    g_assert_cmpint (cr_trust_check (trust, "room.lan:10024", k2), ==, CR_TRUST_CHANGED);
    g_assert_cmpint (cr_trust_check (trust, "[::1]:10024", k2), ==, CR_TRUST_KNOWN);
    g_assert_true (cr_trust_remember (trust, "room.lan:10024", k2, &error));
    g_assert_no_error (error);
    g_assert_true (g_file_get_contents (path, &contents, NULL, NULL));
    g_assert_cmpuint (cr_test_count_substring (contents, "\n"), ==, 2);
    /* Lines that do not parse are skipped. */
    g_assert_true (g_file_set_contents (path, "junk\nzz room\n", -1, NULL));
  }
  {
    g_autoptr(CrTrust) trust = cr_trust_new (path);

    g_assert_null (cr_trust_lookup (trust, "room"));
  }
  cr_test_remove_tree (dir);
}

/* ------------------------------------------------------------------ */
/* The tap                                                            */

typedef struct
{
  CrTestTap      *relay;       /* cr-test-net.h: both ways recorded */
  CrIdentity     *impostor;    /* set: the room's KEY is replaced by one of its own */
  int             drop;        /* TAP_DROP_*: the room's native answers lost on the way */
  gboolean        ok_passed;   /* a classic "OK" went to the member */
} Tap;

enum {
  TAP_DROP_NONE,
  TAP_DROP_NATIVE,            /* every native datagram of the room's */
  TAP_DROP_NATIVE_UNTIL_OK,   /* until the room's classic "OK" passed: a late native answer */
};

/* The room's KEY as an impostor would answer the member's last HELLO. */
static GBytes *
impostor_key (Tap *tap)
{
  guint8 secret[32] = { 9 };
  guint8 ce[CR_PUBLIC_KEY_BYTES] = { 0 };
  guint8 se[CR_PUBLIC_KEY_BYTES];
  guint8 sig[CR_SIGNATURE_BYTES];
  g_autoptr(GBytes) body = NULL;
  CrHeader header = { CR_PROTOCOL_VERSION, CR_PACKET_KEY, 0, 0, 0, 0, 0 };

  for (guint i = 0; i < tap->relay->to_room->len; i++)
    {
      gsize len;
      const guint8 *data = g_bytes_get_data (tap->relay->to_room->pdata[i], &len);
      CrHeader hello;
      const guint8 *hello_body;
      gsize body_len;

      if (cr_header_parse (data, len, &hello, &hello_body, &body_len) == CR_PARSE_OK &&
          hello.type == CR_PACKET_HELLO && body_len >= CR_PUBLIC_KEY_BYTES)
        memcpy (ce, hello_body, CR_PUBLIC_KEY_BYTES);
    }
  cr_handshake_answer (tap->impostor, secret, (const guint8 *) "x", 1, ce, se, sig);
  body = cr_body_key (se, cr_identity_get_public (tap->impostor), sig);
  return cr_datagram_build (&header, g_bytes_get_data (body, NULL), g_bytes_get_size (body));
}

/* What the room sends, on its way to the member: lost, replaced or passed. */
static GBytes *
tap_filter (CrTestTap *relay,
            GBytes    *datagram,
            gpointer   user_data)
{
  Tap *tap = user_data;
  gsize n;
  const guint8 *data = g_bytes_get_data (datagram, &n);

  if (cr_protocol_is_native (data, n) &&
      (tap->drop == TAP_DROP_NATIVE || (tap->drop == TAP_DROP_NATIVE_UNTIL_OK && !tap->ok_passed)))
    return NULL;
  if (n >= 2 && n <= 4 && memcmp (data, CR_CLASSIC_OK, 2) == 0)
    tap->ok_passed = TRUE;
  if (tap->impostor != NULL && n > 4 && data[3] == CR_PACKET_KEY)
    return impostor_key (tap);
  return g_bytes_ref (datagram);
}

static Tap *
tap_new (GSocketAddress *room)
{
  Tap *tap = g_new0 (Tap, 1);

  tap->relay = cr_test_tap_new (room);
  tap->relay->filter = tap_filter;
  tap->relay->filter_data = tap;
  return tap;
}

static void
tap_free (Tap *tap)
{
  cr_test_tap_free (tap->relay);
  g_free (tap);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Tap, tap_free)

static guint
count_type (GPtrArray *datagrams,
            guint8     type)
{
  guint n = 0;

  for (guint i = 0; i < datagrams->len; i++)
    {
      gsize len;
      const guint8 *data = g_bytes_get_data (datagrams->pdata[i], &len);

      if (cr_protocol_is_native (data, len) && len > 4 && data[3] == type)
        n++;
    }
  return n;
}

/* ------------------------------------------------------------------ */
/* Members with a trust file                                          */

typedef struct
{
  gboolean  done;
  GError   *error;
} JoinWait;

static void
on_joined (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  JoinWait *wait = user_data;

  cr_client_join_finish (CR_CLIENT (object), result, &wait->error);
  wait->done = TRUE;
}

static gboolean
join_done (gpointer user_data)
{
  return ((JoinWait *) user_data)->done;
}

static CrClient *
join_trusting (const char  *address,
               const char  *name,
               const char  *password,
               gboolean     do_register,
               const char  *trust_file,
               gboolean     accept_new_key,
               GError     **error)
{
  CrClient *client = cr_client_new ();
  JoinWait wait = { FALSE, NULL };

  cr_client_set_trust_file (client, trust_file);
  cr_client_set_accept_new_key (client, accept_new_key);
  cr_client_join_async (client, address, name, password, do_register, NULL, NULL,
                        on_joined, &wait);
  cr_test_assert_wait (join_done, &wait, 10000);
  if (wait.error != NULL && error == NULL)
    g_error ("%s could not join %s: %s", name, address, wait.error->message);
  if (wait.error != NULL)
    g_propagate_error (error, wait.error);
  return client;
}

typedef struct
{
  GListModel *messages;
  const char *text;
  guint       count;
} TextWait;

static gboolean
text_seen (gpointer user_data)
{
  TextWait *wait = user_data;

  return cr_test_count_text (wait->messages, NULL, wait->text) >= wait->count;
}

static gboolean
all_sent (gpointer user_data)
{
  GListModel *messages = user_data;

  for (guint i = 0; i < g_list_model_get_n_items (messages); i++)
    {
      g_autoptr(CrMessage) m = g_list_model_get_item (messages, i);

      if (cr_message_get_state (m) == CR_MESSAGE_PENDING)
        return FALSE;
    }
  return TRUE;
}

/* ------------------------------------------------------------------ */
/* A passive observer                                                 */

static void
test_observer (void)
{
  CrTestRoom room = { 0 };
  g_autoptr(Tap) tap = NULL;
  g_autofree char *via = NULL;
  g_autoptr(CrClient) alice = NULL;
  g_autoptr(CrClient) bob = NULL;
  g_autoptr(GError) error = NULL;
  gboolean had_key;
  const char *secrets[] = {
    "alice-observed", "hunter2-secret-pw", "the eagle lands at noon", "bob-the-builder",
    "pineapple on pizza", "Secret Garden Room",
  };

  cr_test_room_start (&room, "127.0.0.1");
  cr_server_set_room_name (room.server, "Secret Garden Room");
  tap = tap_new (room.socket_address);
  via = cr_test_tap_dup_address (tap->relay);

  /* alice registers through the tap, talks, hears bob, leaves. */
  alice = join_trusting (via, "alice-observed", "hunter2-secret-pw", TRUE, NULL, FALSE, NULL);
  bob = cr_test_join (room.address, "bob-the-builder", NULL, FALSE, 5000, NULL);
  g_assert_nonnull (cr_client_send (alice, "the eagle lands at noon", &error));
  g_assert_no_error (error);
  g_assert_nonnull (cr_client_send (bob, "pineapple on pizza", &error));
  g_assert_no_error (error);
  {
    TextWait wait = { cr_client_get_messages (alice), "pineapple on pizza", 1 };

    cr_test_assert_wait (text_seen, &wait, 5000);
  }
  cr_test_assert_wait (all_sent, cr_client_get_messages (alice), 5000);
  had_key = cr_client_get_fingerprint (alice) != NULL;
  cr_test_leave_and_free (g_steal_pointer (&alice));
  /* And logs in again with the password. */
  alice = join_trusting (via, "alice-observed", "hunter2-secret-pw", FALSE, NULL, FALSE, NULL);
  cr_test_leave_and_free (g_steal_pointer (&alice));

  g_test_message ("the tap saw %u datagrams to the room, %u back",
                  tap->relay->to_room->len, tap->relay->to_member->len);
  g_assert_cmpuint (tap->relay->to_room->len, >=, 6);
  g_assert_cmpuint (tap->relay->to_member->len, >=, 6);
  for (guint i = 0; i < G_N_ELEMENTS (secrets); i++)
    {
      g_assert_false (cr_test_datagrams_contain (tap->relay->to_room, secrets[i]));
      g_assert_false (cr_test_datagrams_contain (tap->relay->to_member, secrets[i]));
    }
  /* What went in clear: the probe, two HELLOs, two KEYs, cookies. */
  g_assert_cmpuint (count_type (tap->relay->to_room, CR_PACKET_HELLO), >=, 2);
  g_assert_cmpuint (count_type (tap->relay->to_member, CR_PACKET_KEY), >=, 2);
  g_assert_cmpuint (count_type (tap->relay->to_room, CR_PACKET_JOIN), ==, 0);
  for (guint i = 0; i < tap->relay->to_room->len; i++)
    {
      gsize len;
      const guint8 *data = g_bytes_get_data (tap->relay->to_room->pdata[i], &len);

      if (cr_protocol_is_native (data, len))
        g_assert_true (data[3] == CR_PACKET_SEALED || data[3] == CR_PACKET_HELLO);
      else
        g_assert_cmpmem (data, len, CR_PROBE_TEXT, strlen (CR_PROBE_TEXT));
    }
  for (guint i = 0; i < tap->relay->to_member->len; i++)
    {
      const guint8 *data = g_bytes_get_data (tap->relay->to_member->pdata[i], NULL);

      g_assert_true (data[3] == CR_PACKET_SEALED || data[3] == CR_PACKET_KEY ||
                     data[3] == CR_PACKET_PING);
    }
  g_assert_true (had_key);

  cr_test_leave_and_free (g_steal_pointer (&bob));
  cr_test_room_clear (&room);
}

/* ------------------------------------------------------------------ */
/* An active one: tampering, replays, old sessions                    */

static void
pump_for (CrTestEngineMember *member,
          guint               ms)
{
  gint64 end = g_get_monotonic_time () + (gint64) ms * G_TIME_SPAN_MILLISECOND;

  while (g_get_monotonic_time () < end)
    {
      cr_test_run_for (10);
      cr_test_engine_member_pump (member);
    }
}

/* The sealed datagrams the member's engine sends for text, sent on. */
static GPtrArray *
member_say (CrTestEngineMember *member,
            const char         *text)
{
  g_autoptr(GPtrArray) out = g_ptr_array_new_with_free_func ((GDestroyNotify) cr_datagram_free);
  GPtrArray *sent = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);

  g_assert_cmpuint (cr_client_engine_send (member->engine, text, g_get_monotonic_time (), out),
                    !=, 0);
  cr_client_engine_tick (member->engine, g_get_monotonic_time (), out);
  for (guint i = 0; i < out->len; i++)
    {
      GBytes *data = ((CrDatagram *) out->pdata[i])->data;

      cr_test_socket_send (member->sock, member->server, g_bytes_get_data (data, NULL),
                           g_bytes_get_size (data));
      g_ptr_array_add (sent, g_bytes_ref (data));
    }
  return sent;
}

static void
send_altered (CrTestSocket   *sock,
              GSocketAddress *to,
              GBytes         *original,
              gssize          flip,
              gsize           cut)
{
  gsize len = g_bytes_get_size (original);
  g_autofree guint8 *copy = g_memdup2 (g_bytes_get_data (original, NULL), len);

  if (flip >= 0)
    copy[flip] ^= 0x01;
  cr_test_socket_send (sock, to, copy, len - cut);
}

static void
tap_send_altered (Tap    *tap,
                  GBytes *original,
                  gssize  flip,
                  gsize   cut)
{
  gsize len = g_bytes_get_size (original);
  g_autofree guint8 *copy = g_memdup2 (g_bytes_get_data (original, NULL), len);

  if (flip >= 0)
    copy[flip] ^= 0x01;
  g_socket_send_to (tap->relay->listen, tap->relay->member, (const char *) copy, len - cut, NULL, NULL);
}

/* The last sealed datagram the room sent the member. */
static GBytes *
last_sealed (GPtrArray *datagrams)
{
  for (guint i = datagrams->len; i > 0; i--)
    {
      GBytes *data = datagrams->pdata[i - 1];

      if (((const guint8 *) g_bytes_get_data (data, NULL))[3] == CR_PACKET_SEALED)
        return g_bytes_ref (data);
    }
  g_assert_not_reached ();
}

static void
test_tamper (void)
{
  CrTestRoom room = { 0 };
  g_autoptr(Tap) tap = NULL;
  g_autoptr(CrTestEngineMember) erin = NULL;
  g_autoptr(CrClient) bob = NULL;
  g_autoptr(CrTestSocket) stranger = cr_test_socket_new ("127.0.0.1");
  g_autoptr(GPtrArray) chat = NULL;
  g_autoptr(GBytes) old_to_room = NULL;
  g_autoptr(GBytes) old_to_member = NULL;
  g_autoptr(GError) error = NULL;
  CrStats before, after;
  CrClientEngineStats mine, mine_after;
  GBytes *datagram;
  guint32 old_session;
  guint16 port;

  cr_test_room_start (&room, "127.0.0.1");
  port = room.port;
  tap = tap_new (room.socket_address);
  bob = cr_test_join (room.address, "bob", NULL, FALSE, 5000, NULL);
  erin = cr_test_engine_member_join (cr_test_tap_get_port (tap->relay), "erin", 5000);
  g_assert_nonnull (erin);

  /* The room's side: one CHAT, then altered copies of it. */
  chat = member_say (erin, "tamper target");
  g_assert_cmpuint (chat->len, >=, 1);
  datagram = chat->pdata[0];
  g_assert_cmpint (((const guint8 *) g_bytes_get_data (datagram, NULL))[3], ==,
                   CR_PACKET_SEALED);
  {
    TextWait wait = { cr_client_get_messages (bob), "tamper target", 1 };

    cr_test_assert_wait (text_seen, &wait, 5000);
  }
  pump_for (erin, 300);
  cr_server_get_stats (room.server, &before);
  send_altered (erin->sock, erin->server, datagram, 12, 0);         /* its number */
  send_altered (erin->sock, erin->server, datagram, 2, 0);          /* its version */
  send_altered (erin->sock, erin->server, datagram, 30, 0);         /* the text */
  send_altered (erin->sock, erin->server, datagram,
                g_bytes_get_size (datagram) - 1, 0);                /* the tag */
  send_altered (erin->sock, erin->server, datagram, -1, 1);         /* cut short */
  send_altered (erin->sock, erin->server, datagram, -1, 0);         /* again */
  send_altered (stranger, room.socket_address, datagram, -1, 0);    /* from elsewhere */
  pump_for (erin, 400);
  cr_server_get_stats (room.server, &after);
  g_test_message ("room: unopened %" G_GUINT64_FORMAT " replayed %" G_GUINT64_FORMAT
                  " spoofed %" G_GUINT64_FORMAT " malformed %" G_GUINT64_FORMAT,
                  after.unopened - before.unopened, after.replayed - before.replayed,
                  after.spoofed - before.spoofed, after.malformed - before.malformed);
  /* Each altered one fails to open, none is parsed as anything else. */
  g_assert_cmpuint (after.unopened - before.unopened, ==, 5);
  g_assert_cmpuint (after.malformed - before.malformed, ==, 0);
  g_assert_cmpuint (after.replayed - before.replayed, ==, 1);
  g_assert_cmpuint (after.spoofed - before.spoofed, ==, 1);
  g_assert_cmpuint (cr_test_count_text (cr_client_get_messages (bob), NULL, "tamper target"),
                    ==, 1);

  /* The member's side: a sealed EVENT from the room, then altered copies. */
  g_assert_nonnull (cr_client_send (bob, "for erin", &error));
  g_assert_no_error (error);
  pump_for (erin, 500);
  old_to_member = last_sealed (tap->relay->to_member);
  cr_client_engine_get_stats (erin->engine, &mine);
  tap_send_altered (tap, old_to_member, 12, 0);
  tap_send_altered (tap, old_to_member, 40, 0);
  tap_send_altered (tap, old_to_member, -1, 3);
  tap_send_altered (tap, old_to_member, -1, 0);
  send_altered (stranger, tap->relay->member, old_to_member, -1, 0);
  pump_for (erin, 400);
  cr_client_engine_get_stats (erin->engine, &mine_after);
  g_assert_cmpuint (mine_after.unopened - mine.unopened, ==, 3);
  g_assert_cmpuint (mine_after.replayed - mine.replayed, ==, 1);
  g_assert_cmpuint (mine_after.spoofed - mine.spoofed, ==, 1);
  g_assert_cmpint (cr_client_engine_get_state (erin->engine), ==, CR_CLIENT_CONNECTED);

  /* A datagram of a previous session, both ways: the room restarts on
   * its data (same key), erin joins again with a fresh handshake. */
  old_to_room = g_bytes_ref (datagram);
  old_session = cr_client_engine_get_session (erin->engine);
  g_clear_object (&room.server);
  cr_test_room_start_on (&room, "127.0.0.1", port);
  {
    gint64 end = g_get_monotonic_time () + 10 * G_TIME_SPAN_SECOND;

    while (g_get_monotonic_time () < end &&
           (cr_client_engine_get_session (erin->engine) == old_session ||
            cr_client_engine_get_state (erin->engine) != CR_CLIENT_CONNECTED))
      pump_for (erin, 50);
  }
  g_assert_cmpint (cr_client_engine_get_state (erin->engine), ==, CR_CLIENT_CONNECTED);
  g_assert_cmpuint (cr_client_engine_get_session (erin->engine), !=, old_session);
  cr_server_get_stats (room.server, &before);
  cr_client_engine_get_stats (erin->engine, &mine);
  send_altered (erin->sock, erin->server, old_to_room, -1, 0);
  tap_send_altered (tap, old_to_member, -1, 0);
  pump_for (erin, 400);
  cr_server_get_stats (room.server, &after);
  cr_client_engine_get_stats (erin->engine, &mine_after);
  g_assert_cmpuint (after.unopened - before.unopened, ==, 1);
  g_assert_cmpuint (mine_after.unopened - mine.unopened, ==, 1);
  g_assert_cmpint (cr_client_engine_get_state (erin->engine), ==, CR_CLIENT_CONNECTED);

  g_clear_object (&bob);
  cr_test_room_clear (&room);
}

/* ------------------------------------------------------------------ */
/* Trust on first use, and an impostor                                */

static void
test_impostor (void)
{
  CrTestRoom room = { 0 };
  g_autoptr(Tap) tap = NULL;
  g_autofree char *via = NULL;
  g_autofree char *dir = cr_test_make_tmpdir ();
  g_autofree char *trust_file = g_build_filename (dir, "known-rooms", NULL);
  g_autofree char *room_fp = NULL;
  g_autofree char *impostor_fp = NULL;
  g_autoptr(GError) error = NULL;
  CrClient *client;
  guint sealed_before;

  cr_test_room_start (&room, "127.0.0.1");
  room_fp = cr_server_dup_fingerprint (room.server);
  tap = tap_new (room.socket_address);
  via = cr_test_tap_dup_address (tap->relay);

  /* First meeting: recorded; second: silent. */
  client = join_trusting (via, "alice", "hunter2-secret-pw", TRUE, trust_file, FALSE, NULL);
  g_assert_cmpint (cr_client_get_key_trust (client), ==, CR_KEY_TRUST_NEW);
  g_assert_cmpstr (cr_client_get_fingerprint (client), ==, room_fp);
  g_assert_true (g_file_test (trust_file, G_FILE_TEST_IS_REGULAR));
  cr_test_leave_and_free (client);
  client = join_trusting (via, "alice", "hunter2-secret-pw", FALSE, trust_file, FALSE, NULL);
  g_assert_cmpint (cr_client_get_key_trust (client), ==, CR_KEY_TRUST_KNOWN);
  cr_test_leave_and_free (client);

  /* The tap now answers with its own key. */
  tap->impostor = cr_identity_new ();
  impostor_fp = cr_fingerprint (cr_identity_get_public (tap->impostor));
  sealed_before = count_type (tap->relay->to_room, CR_PACKET_SEALED);
  client = join_trusting (via, "alice", "hunter2-secret-pw", FALSE, trust_file, FALSE, &error);
  g_assert_error (error, CR_CLIENT_ERROR, CR_REASON_KEY_CHANGED);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, room_fp));
  g_assert_nonnull (strstr (error->message, impostor_fp));
  g_assert_cmpstr (cr_client_get_known_fingerprint (client), ==, room_fp);
  g_assert_cmpstr (cr_client_get_offered_fingerprint (client), ==, impostor_fp);
  g_assert_cmpint (cr_client_get_state (client), ==, CR_CLIENT_CLOSED);
  /* Nothing but HELLOs went out: no JOIN, sealed or not, so no password. */
  g_assert_cmpuint (count_type (tap->relay->to_room, CR_PACKET_SEALED), ==, sealed_before);
  g_assert_cmpuint (count_type (tap->relay->to_room, CR_PACKET_JOIN), ==, 0);
  g_assert_false (cr_test_datagrams_contain (tap->relay->to_room, "hunter2-secret-pw"));
  g_clear_object (&client);
  g_clear_error (&error);
  cr_identity_free (g_steal_pointer (&tap->impostor));

  /* A room that really has a new key (new data): refused, then accepted by
   * choice, then known. */
  {
    guint16 port = room.port;

    cr_test_room_clear (&room);
    cr_test_room_start_on (&room, "127.0.0.1", port);
  }
  client = join_trusting (via, "carol", NULL, FALSE, trust_file, FALSE, &error);
  g_assert_error (error, CR_CLIENT_ERROR, CR_REASON_KEY_CHANGED);
  g_clear_object (&client);
  g_clear_error (&error);
  client = join_trusting (via, "carol", NULL, FALSE, trust_file, TRUE, NULL);
  g_assert_cmpint (cr_client_get_key_trust (client), ==, CR_KEY_TRUST_ACCEPTED);
  cr_test_leave_and_free (client);
  client = join_trusting (via, "carol", NULL, FALSE, trust_file, FALSE, NULL);
  g_assert_cmpint (cr_client_get_key_trust (client), ==, CR_KEY_TRUST_KNOWN);
  {
    g_autofree char *fp = cr_server_dup_fingerprint (room.server);

    g_assert_cmpstr (cr_client_get_fingerprint (client), ==, fp);
    g_assert_cmpstr (fp, !=, room_fp);
  }
  cr_test_leave_and_free (client);

  cr_test_room_clear (&room);
  cr_test_remove_tree (dir);
}

/* ------------------------------------------------------------------ */
/* The handshake's limits and the plaintext JOIN                       */

static void
test_handshake_limits (void)
{
  CrTestRoom room = { 0 };
  g_autoptr(CrTestSocket) sock = cr_test_socket_new ("127.0.0.1");
  g_autoptr(GBytes) cookie_ping = NULL;
  g_autoptr(GBytes) answer = NULL;
  g_autoptr(GBytes) hello_body = NULL;
  guint8 ce[CR_PUBLIC_KEY_BYTES];
  CrHeader header;
  CrStats before, after;
  guint32 cookie;

  cr_test_room_start (&room, "127.0.0.1");
  memset (ce, 0x42, sizeof ce);
  hello_body = cr_body_hello (ce);

  /* A HELLO without the cookie: only the cookie, ≤ 3× the HELLO. */
  {
    CrHeader hello = { CR_PROTOCOL_VERSION, CR_PACKET_HELLO, 0, 0, 0, 0, 0 };
    g_autoptr(GBytes) datagram = cr_datagram_build (&hello, g_bytes_get_data (hello_body, NULL),
                                                    g_bytes_get_size (hello_body));

    cr_test_socket_send (sock, room.socket_address, g_bytes_get_data (datagram, NULL),
                         g_bytes_get_size (datagram));
    cookie_ping = cr_test_socket_receive (sock, 3000, NULL);
    g_assert_nonnull (cookie_ping);
    g_assert_cmpint (cr_header_parse (g_bytes_get_data (cookie_ping, NULL),
                                      g_bytes_get_size (cookie_ping), &header, NULL, NULL),
                     ==, CR_PARSE_OK);
    g_assert_cmpint (header.type, ==, CR_PACKET_PING);
    g_assert_cmpuint (g_bytes_get_size (cookie_ping), <=, 3 * g_bytes_get_size (datagram));
    cookie = header.ack;

    /* With it: the KEY, still ≤ 3× the HELLO, signed by the room. */
    hello.ack = cookie;
    g_bytes_unref (datagram);
    datagram = cr_datagram_build (&hello, g_bytes_get_data (hello_body, NULL),
                                  g_bytes_get_size (hello_body));
    cr_test_socket_send (sock, room.socket_address, g_bytes_get_data (datagram, NULL),
                         g_bytes_get_size (datagram));
    answer = cr_test_socket_receive (sock, 3000, NULL);
    g_assert_nonnull (answer);
    g_test_message ("HELLO %" G_GSIZE_FORMAT " bytes, KEY %" G_GSIZE_FORMAT,
                    g_bytes_get_size (datagram), g_bytes_get_size (answer));
    g_assert_cmpuint (g_bytes_get_size (answer), <=, 3 * g_bytes_get_size (datagram));
  }
  {
    const guint8 *body;
    gsize body_len;
    g_autoptr(GVariant) v = NULL;
    const guint8 *se, *id, *sig;
    g_autofree char *fp = NULL;
    g_autofree char *room_fp = cr_server_dup_fingerprint (room.server);

    g_assert_cmpint (cr_header_parse (g_bytes_get_data (answer, NULL),
                                      g_bytes_get_size (answer), &header, &body, &body_len),
                     ==, CR_PARSE_OK);
    g_assert_cmpint (header.type, ==, CR_PACKET_KEY);
    v = cr_body_parse (CR_PACKET_KEY, body, body_len);
    g_assert_nonnull (v);
    g_assert_true (cr_key_from_body (v, &se, &id, &sig));
    fp = cr_fingerprint (id);
    g_assert_cmpstr (fp, ==, room_fp);
  }

  /* A sealed JOIN's cookie is checked, in clear, before any key exchange:
   * a wrong one gets the cookie again (≤ 3×) and opens nothing; the right
   * one with a seal that does not hold is counted, and answered nothing. */
  {
    guint8 fake[CR_SEAL_JOIN_OVERHEAD + 60];
    g_autoptr(GBytes) reply = NULL;

    memset (fake, 0x33, sizeof fake);
    fake[0] = 0xCB;
    fake[1] = 0x52;
    fake[2] = CR_PROTOCOL_VERSION;
    fake[3] = CR_PACKET_SEALED;
    memset (fake + 4, 0, 4);                     /* session 0: a JOIN */
    memset (fake + 48, 0, 4);                    /* cookie 0: wrong */
    cr_server_get_stats (room.server, &before);
    cr_test_socket_send (sock, room.socket_address, fake, sizeof fake);
    reply = cr_test_socket_receive (sock, 3000, NULL);
    g_assert_nonnull (reply);
    g_assert_cmpint (cr_header_parse (g_bytes_get_data (reply, NULL), g_bytes_get_size (reply),
                                      &header, NULL, NULL), ==, CR_PARSE_OK);
    g_assert_cmpint (header.type, ==, CR_PACKET_PING);
    g_assert_cmpuint (header.ack, ==, cookie);
    g_clear_pointer (&reply, g_bytes_unref);
    cr_server_get_stats (room.server, &after);
    g_assert_cmpuint (after.unopened, ==, before.unopened);

    fake[48] = (cookie >> 24) & 0xff;
    fake[49] = (cookie >> 16) & 0xff;
    fake[50] = (cookie >> 8) & 0xff;
    fake[51] = cookie & 0xff;
    cr_test_socket_send (sock, room.socket_address, fake, sizeof fake);
    reply = cr_test_socket_receive (sock, 300, NULL);
    g_assert_null (reply);
    cr_server_get_stats (room.server, &after);
    g_assert_cmpuint (after.unopened, ==, before.unopened + 1);
  }

  /* A JOIN in clear (a password would be in it): refused, counted. */
  cr_server_get_stats (room.server, &before);
  {
    g_autoptr(GBytes) body = cr_body_join ("mallory", "", "", FALSE, 0, "");
    CrHeader join = { CR_PROTOCOL_VERSION, CR_PACKET_JOIN, 0, 0, 0, cookie, 0 };
    g_autoptr(GBytes) datagram = cr_datagram_build (&join, g_bytes_get_data (body, NULL),
                                                    g_bytes_get_size (body));
    g_autoptr(GBytes) reply = NULL;
    g_autoptr(GVariant) v = NULL;
    const guint8 *refusal;
    gsize refusal_len;
    guint32 reason;
    const char *detail;

    cr_test_socket_send (sock, room.socket_address, g_bytes_get_data (datagram, NULL),
                         g_bytes_get_size (datagram));
    reply = cr_test_socket_receive (sock, 3000, NULL);
    g_assert_nonnull (reply);
    g_assert_cmpint (cr_header_parse (g_bytes_get_data (reply, NULL), g_bytes_get_size (reply),
                                      &header, &refusal, &refusal_len), ==, CR_PARSE_OK);
    g_assert_cmpint (header.type, ==, CR_PACKET_REFUSE);
    v = cr_body_parse (CR_PACKET_REFUSE, refusal, refusal_len);
    g_variant_get (v, "(u&s)", &reason, &detail);
    g_assert_cmpuint (reason, ==, CR_REASON_VERSION);
  }
  cr_server_get_stats (room.server, &after);
  g_assert_cmpuint (after.unsealed, ==, before.unsealed + 1);
  g_assert_false (cr_test_has_member (cr_server_get_members (room.server), "mallory"));

  cr_test_room_clear (&room);
}

/* ------------------------------------------------------------------ */
/* Classic members                                                    */

static void
test_no_classic (void)
{
  CrTestRoom room = { 0 };
  g_autoptr(CrTestSocket) carl = cr_test_socket_new ("127.0.0.1");
  g_autofree char *line = NULL;

  cr_test_room_start (&room, "127.0.0.1");
  cr_server_set_allow_classic (room.server, FALSE);
  cr_test_socket_send_text (carl, room.socket_address, "N carl");
  line = cr_test_socket_receive_text (carl, 3000);
  /* Cut at 3× the 6-byte join (the anti-amplification rule). */
  g_assert_nonnull (line);
  g_assert_cmpstr (line, !=, "");
  g_assert_true (g_str_has_prefix ("本聊天室只接受加密的程序：请用 Chat Room 加入", line));
  cr_test_run_for (100);
  g_assert_false (cr_test_has_member (cr_server_get_members (room.server), "carl"));

  /* Allowed again (the owner's switch is live): in, and marked. */
  cr_server_set_allow_classic (room.server, TRUE);
  g_clear_pointer (&line, g_free);
  cr_test_socket_send_text (carl, room.socket_address, "N carl");
  line = cr_test_socket_receive_text (carl, 3000);
  g_assert_cmpstr (line, ==, "OK");
  cr_test_run_for (100);
  {
    GListModel *members = cr_server_get_members (room.server);
    gboolean marked = FALSE;

    for (guint i = 0; i < g_list_model_get_n_items (members); i++)
      {
        g_autoptr(CrMember) m = g_list_model_get_item (members, i);

        if (g_str_equal (cr_member_get_name (m), "carl"))
          marked = (cr_member_get_flags (m) & CR_MEMBER_CLASSIC) != 0;
      }
    g_assert_true (marked);
  }
  cr_test_room_clear (&room);
}

/* ------------------------------------------------------------------ */
/* No downgrade                                                       */

/* Join a silent "room" (a raw socket); say whether it was sent "N name". */
static gboolean
classic_join_sent (CrTestSocket *room,
                   const char   *trust_file)
{
  g_autofree char *address = cr_test_address ("127.0.0.1", cr_test_socket_get_port (room));
  g_autoptr(CrClient) client = cr_client_new ();
  g_autoptr(GBytes) datagram = NULL;
  JoinWait wait = { FALSE, NULL };
  gboolean sent = FALSE;

  cr_client_set_trust_file (client, trust_file);
  cr_client_set_timing (client, 0, 0, 1500);
  cr_client_join_async (client, address, "alice", NULL, FALSE, NULL, NULL, on_joined, &wait);
  cr_test_assert_wait (join_done, &wait, 6000);
  g_assert_error (wait.error, CR_CLIENT_ERROR, CR_REASON_NO_ANSWER);
  g_clear_error (&wait.error);
  while ((datagram = cr_test_socket_receive (room, 100, NULL)) != NULL)
    {
      gsize len;
      const char *data = g_bytes_get_data (datagram, &len);

      if (len >= 2 && data[0] == 'N' && data[1] == ' ')
        sent = TRUE;
      g_clear_pointer (&datagram, g_bytes_unref);
    }
  return sent;
}

/* A room whose key we know speaks sealed native: with its answers dropped
 * the member does not fall back to the classic dialect, in clear. */
static void
test_no_downgrade (void)
{
  g_autoptr(CrTestSocket) room = cr_test_socket_new ("127.0.0.1");
  g_autofree char *dir = cr_test_make_tmpdir ();
  g_autofree char *trust_file = g_build_filename (dir, "known-rooms", NULL);
  g_autofree char *address = cr_test_address ("127.0.0.1", cr_test_socket_get_port (room));
  guint8 key[32];

  /* Unknown: after a fifth of the join timeout, "N alice". */
  g_assert_true (classic_join_sent (room, trust_file));

  memset (key, 5, sizeof key);
  {
    g_autoptr(CrTrust) trust = cr_trust_new (trust_file);

    g_assert_true (cr_trust_remember (trust, address, key, NULL));
  }
  g_assert_false (classic_join_sent (room, trust_file));
  cr_test_remove_tree (dir);
}

/* How many classic joins ("N name") went to the room through the tap. */
static guint
count_classic_joins (Tap *tap)
{
  guint n = 0;

  for (guint i = 0; i < tap->relay->to_room->len; i++)
    {
      gsize len;
      const char *data = g_bytes_get_data (tap->relay->to_room->pdata[i], &len);

      if (len >= 2 && data[0] == 'N' && data[1] == ' ')
        n++;
    }
  return n;
}

static CrClient *
join_through (Tap         *tap,
              const char  *trust_file,
              GError     **error)
{
  g_autofree char *address = cr_test_tap_dup_address (tap->relay);
  CrClient *client = cr_client_new ();
  JoinWait wait = { FALSE, NULL };

  cr_client_set_trust_file (client, trust_file);
  cr_client_set_timing (client, 0, 0, 5000);
  cr_client_join_async (client, address, "alice", NULL, FALSE, NULL, NULL, on_joined, &wait);
  cr_test_assert_wait (join_done, &wait, 10000);
  if (wait.error != NULL)
    g_propagate_error (error, wait.error);
  return client;
}

/* A real room behind a proxy that loses its native answers: (1) a room
 * whose key the member knows is never joined in classic, and the join
 * fails saying why; (2) an unknown room whose native answer comes only
 * after its classic "OK" is joined natively, encrypted (it answered
 * natively: it is not a classic room); (3) an unknown room that only
 * ever answers in classic is joined in classic, and the client says the
 * session is not encrypted. */
static void
test_late_native (void)
{
  CrTestRoom room = { 0 };
  g_autofree char *dir = cr_test_make_tmpdir ();
  g_autofree char *trust_file = g_build_filename (dir, "known-rooms", NULL);
  g_autofree char *other_trust = g_build_filename (dir, "other-rooms", NULL);

  cr_test_room_start (&room, "127.0.0.1");

  /* (1) First meeting remembers the key; then its native answers are lost. */
  {
    g_autoptr(Tap) tap = tap_new (room.socket_address);
    g_autoptr(CrClient) first = join_through (tap, trust_file, NULL);
    g_autoptr(CrClient) again = NULL;
    g_autoptr(GError) error = NULL;

    g_assert_true (cr_client_get_encrypted (first));
    cr_client_leave (first);
    cr_test_assert_state (first, CR_CLIENT_CLOSED, 3000);
    tap->drop = TAP_DROP_NATIVE;
    again = join_through (tap, trust_file, &error);
    g_assert_error (error, CR_CLIENT_ERROR, CR_REASON_NO_ANSWER);
    g_assert_nonnull (strstr (error->message, "never joined unencrypted"));
    g_assert_cmpuint (tap->relay->dropped, >, 0);
    g_assert_cmpuint (count_classic_joins (tap), ==, 0);
    g_assert_false (cr_client_get_encrypted (again));
  }

  /* (2) Unknown to this member (another trust file), native late. */
  {
    g_autoptr(Tap) tap = tap_new (room.socket_address);
    g_autoptr(CrClient) client = NULL;

    tap->drop = TAP_DROP_NATIVE_UNTIL_OK;
    client = join_through (tap, other_trust, NULL);
    g_assert_true (tap->ok_passed);
    g_assert_cmpuint (tap->relay->dropped, >, 0);
    g_assert_cmpint (cr_client_get_dialect (client), ==, CR_DIALECT_NATIVE);
    g_assert_true (cr_client_get_encrypted (client));
    cr_test_leave_and_free (g_steal_pointer (&client));
  }

  /* (3) Only classic answers, ever: a classic room as far as anyone can
   * tell, joined in clear, and said so. */
  {
    g_autoptr(Tap) tap = tap_new (room.socket_address);
    g_autoptr(CrClient) client = NULL;
    g_autofree char *fresh = g_build_filename (dir, "fresh-rooms", NULL);

    tap->drop = TAP_DROP_NATIVE;
    client = join_through (tap, fresh, NULL);
    g_assert_cmpint (cr_client_get_dialect (client), ==, CR_DIALECT_CLASSIC);
    g_assert_false (cr_client_get_encrypted (client));
    g_assert_cmpuint (count_classic_joins (tap), >=, 1);
    cr_test_leave_and_free (g_steal_pointer (&client));
  }

  cr_test_room_clear (&room);
  cr_test_remove_tree (dir);
}

/* ------------------------------------------------------------------ */
/* chatroomd and chatroom-cli                                         */

static void
test_programs (void)
{
  g_autofree char *dir = cr_test_make_tmpdir ();
  g_autofree char *data = g_build_filename (dir, "room", NULL);
  guint16 port = cr_test_free_udp_port ();
  g_autofree char *listen = cr_test_address ("127.0.0.1", port);
  g_autofree char *fp = NULL;
  CrTestChild *daemon;
  CrTestChild *cli;
  char *start;

  {
    const char *argv[] = { CHATROOMD_PATH, "--listen", listen, "--data-dir", data,
                           "--no-classic", NULL };

    daemon = cr_test_child_spawn_clean (argv, TRUE);
  }
  cr_test_child_expect (daemon, "Classic clients are refused", 15000);
  start = strstr (daemon->output->str, "Room key fingerprint: ");
  g_assert_nonnull (start);
  fp = g_strndup (start + strlen ("Room key fingerprint: "), CR_FINGERPRINT_LEN);
  g_test_message ("chatroomd: %s", fp);

  {
    const char *argv[] = { CHATROOM_CLI_PATH, "alice", listen, NULL };
    g_autofree char *expect = g_strdup_printf ("Room key fingerprint: %s. First time", fp);

    cli = cr_test_child_spawn (argv, TRUE);
    cr_test_child_expect (cli, expect, 15000);
    cr_test_child_write_line (cli, "/quit");
    cr_test_child_free (cli);
  }
  {
    const char *argv[] = { CHATROOM_CLI_PATH, "--quiet", "bob", listen, NULL };
    g_autofree char *expect = g_strdup_printf ("Room key: %s", fp);

    cli = cr_test_child_spawn (argv, TRUE);
    cr_test_child_expect (cli, expect, 15000);
    g_assert_null (strstr (cli->output->str, "First time"));
    cr_test_child_write_line (cli, "/quit");
    cr_test_child_free (cli);
  }
  cr_test_child_free (daemon);

  /* The room comes back with another key. */
  cr_test_remove_tree (data);
  {
    const char *argv[] = { CHATROOMD_PATH, "--listen", listen, "--data-dir", data, NULL };

    daemon = cr_test_child_spawn_clean (argv, TRUE);
  }
  cr_test_child_expect (daemon, "Room key fingerprint: ", 15000);
  {
    const char *argv[] = { CHATROOM_CLI_PATH, "carol", listen, NULL };

    cli = cr_test_child_spawn (argv, TRUE);
    cr_test_child_expect (cli, "--accept-new-key", 15000);
    g_assert_nonnull (strstr (cli->output->str, fp));
    g_assert_nonnull (strstr (cli->output->str, "The room's key changed"));
    g_assert_null (strstr (cli->output->str, "Joined"));
    cr_test_child_free (cli);
  }
  {
    const char *argv[] = { CHATROOM_CLI_PATH, "--accept-new-key", "dave", listen, NULL };

    cli = cr_test_child_spawn (argv, TRUE);
    cr_test_child_expect (cli, "The new key is accepted and remembered", 15000);
    cr_test_child_write_line (cli, "/quit");
    cr_test_child_free (cli);
  }
  cr_test_child_free (daemon);
  cr_test_remove_tree (dir);
}

int
main (int   argc,
      char *argv[])
{
  g_autofree char *trust_dir = NULL;
  g_autofree char *trust_file = NULL;
  int status;

  /* chatroom-cli's known rooms (cr-trust.h), set while no thread runs. */
  trust_dir = g_dir_make_tmp ("test-crypto-XXXXXX", NULL);
  g_assert_nonnull (trust_dir);
  trust_file = g_build_filename (trust_dir, "known-rooms", NULL);
  g_setenv ("CHATROOM_TRUST_FILE", trust_file, TRUE);

  cr_locale_init ();
  setlocale (LC_ALL, "C.UTF-8");
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/chatroom/crypto/seal", test_seal);
  g_test_add_func ("/chatroom/crypto/fingerprint", test_fingerprint);
  g_test_add_func ("/chatroom/crypto/identity-file", test_identity_file);
  g_test_add_func ("/chatroom/crypto/trust-file", test_trust_file);
  g_test_add_func ("/chatroom/crypto/observer", test_observer);
  g_test_add_func ("/chatroom/crypto/tamper", test_tamper);
  g_test_add_func ("/chatroom/crypto/impostor", test_impostor);
  g_test_add_func ("/chatroom/crypto/handshake-limits", test_handshake_limits);
  g_test_add_func ("/chatroom/crypto/no-classic", test_no_classic);
  g_test_add_func ("/chatroom/crypto/no-downgrade", test_no_downgrade);
  g_test_add_func ("/chatroom/crypto/late-native", test_late_native);
  g_test_add_func ("/chatroom/crypto/programs", test_programs);
  status = g_test_run ();
  cr_test_remove_tree (trust_dir);
  return status;
}
