/* cr-trust.c: the known-rooms file
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "cr-trust"

#include "config.h"

#include <errno.h>
#include <string.h>

#include <gio/gio.h>
#include <sodium.h>

#include "cr-trust.h"

#define KEY_BYTES   32
#define ADDRESS_MAX 1024

struct _CrTrust
{
  char       *path;
  GHashTable *keys;      /* address (owned) → 32 bytes (owned) */
  GPtrArray  *order;     /* addresses in file order (borrowed from keys) */
};

/* Addresses compare as typed but for case: "Room.lan:10024" is
 * "room.lan:10024". */
static char *
address_key (const char *address)
{
  return g_ascii_strdown (address, -1);
}

static gboolean
address_ok (const char *address)
{
  return address != NULL && *address != '\0' && strlen (address) <= ADDRESS_MAX &&
         g_utf8_validate (address, -1, NULL) && strpbrk (address, " \t\r\n") == NULL;
}

char *
cr_trust_default_path (void)
{
  const char *env = g_getenv ("CHATROOM_TRUST_FILE");

  /* Set but empty: nothing is remembered (the test suite: its rooms come
   * and go on reused ports with new keys). */
  if (env != NULL)
    return *env != '\0' ? g_strdup (env) : NULL;
  return g_build_filename (g_get_user_data_dir (), "chatroom", "known-rooms", NULL);
}

static int
compare_addresses (gconstpointer a,
                   gconstpointer b)
{
  return strcmp (*(const char * const *) a, *(const char * const *) b);
}

/* The file lists rooms sorted, so that it diffs well and reads easily. */
static void
rebuild_order (CrTrust *self)
{
  GHashTableIter iter;
  gpointer address;

  g_ptr_array_set_size (self->order, 0);
  g_hash_table_iter_init (&iter, self->keys);
  while (g_hash_table_iter_next (&iter, &address, NULL))
    g_ptr_array_add (self->order, address);
  g_ptr_array_sort (self->order, compare_addresses);
}

static void
load (CrTrust *self)
{
  g_autofree char *contents = NULL;
  g_auto(GStrv) lines = NULL;

  if (!g_file_get_contents (self->path, &contents, NULL, NULL))
    return;
  lines = g_strsplit (contents, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      const char *line = lines[i];
      const char *space = strchr (line, ' ');
      guint8 key[KEY_BYTES];
      size_t bin_len = 0;
      g_autofree char *address = NULL;

      if (space == NULL || space - line != 2 * KEY_BYTES)
        continue;
      if (sodium_hex2bin (key, sizeof key, line, 2 * KEY_BYTES, NULL, &bin_len, NULL) != 0 ||
          bin_len != KEY_BYTES || !address_ok (space + 1))
        continue;
      /* A repeated address keeps its last key. */
      address = address_key (space + 1);
      g_hash_table_insert (self->keys, g_steal_pointer (&address), g_memdup2 (key, sizeof key));
    }
  rebuild_order (self);
}

CrTrust *
cr_trust_new (const char *path)
{
  CrTrust *self;

  g_return_val_if_fail (path != NULL, NULL);

  self = g_new0 (CrTrust, 1);
  self->path = g_strdup (path);
  self->keys = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->order = g_ptr_array_new ();
  load (self);
  return self;
}

void
cr_trust_free (CrTrust *self)
{
  if (self == NULL)
    return;
  g_ptr_array_unref (self->order);
  g_hash_table_unref (self->keys);
  g_free (self->path);
  g_free (self);
}

const char *
cr_trust_get_path (CrTrust *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return self->path;
}

const guint8 *
cr_trust_lookup (CrTrust    *self,
                 const char *address)
{
  g_autofree char *key = NULL;

  g_return_val_if_fail (self != NULL, NULL);

  if (!address_ok (address))
    return NULL;
  key = address_key (address);
  return g_hash_table_lookup (self->keys, key);
}

CrTrustResult
cr_trust_check (CrTrust      *self,
                const char   *address,
                const guint8 *public_key)
{
  const guint8 *known = cr_trust_lookup (self, address);

  if (known == NULL)
    return CR_TRUST_NEW;
  return sodium_memcmp (known, public_key, KEY_BYTES) == 0 ? CR_TRUST_KNOWN : CR_TRUST_CHANGED;
}

gboolean
cr_trust_remember (CrTrust       *self,
                   const char    *address,
                   const guint8  *public_key,
                   GError       **error)
{
  g_autofree char *key = NULL;
  g_autofree char *dir = NULL;
  g_autoptr(GString) out = g_string_new (NULL);

  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (public_key != NULL, FALSE);

  if (!address_ok (address))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "Not a room address: %s", address != NULL ? address : "(null)");
      return FALSE;
    }
  key = address_key (address);
  g_hash_table_insert (self->keys, g_steal_pointer (&key), g_memdup2 (public_key, KEY_BYTES));
  /* The order borrowed the address string just replaced, if any. */
  rebuild_order (self);

  for (guint i = 0; i < self->order->len; i++)
    {
      const char *a = self->order->pdata[i];
      char hex[2 * KEY_BYTES + 1];

      sodium_bin2hex (hex, sizeof hex, g_hash_table_lookup (self->keys, a), KEY_BYTES);
      g_string_append_printf (out, "%s %s\n", hex, a);
    }

  dir = g_path_get_dirname (self->path);
  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      int saved = errno;
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                   "%s: %s", dir, g_strerror (saved));
      return FALSE;
    }
  return g_file_set_contents (self->path, out->str, out->len, error);
}
