/* chatroom-cli-files.c: chatroom-cli's shared files
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * "/send PATH" shares a file, "/files" lists the room's with numbers,
 * "/get N [DEST]" downloads one (to DEST, a file or a folder; default the
 * current folder), resuming what an earlier /get left. Each runs on the
 * room's file service (cr-file-client.h) and says how it ended on standard
 * error; /files' list is the only thing written to standard output.
 */
#define G_LOG_DOMAIN "chatroom-cli"

#include "config.h"

#include <string.h>

#include <glib/gi18n.h>

#include "cr-file-client.h"
#include "cr-terminal.h"
#include "chatroom-cli-files.h"
#include "chatroom-cli-output.h"

typedef struct {
  guint        *transfers;     /* the caller's count of operations under way */
  GCancellable *cancellable;   /* the caller's (borrowed) */
  char         *label;         /* the file's display name, for the status lines */
  char         *id;            /* /get: the file; NULL until the list answered */
  char         *dest;          /* /get: what was asked (NULL: here) */
} FileOp;

static void
file_op_free (FileOp *op)
{
  (*op->transfers)--;
  g_free (op->label);
  g_free (op->id);
  g_free (op->dest);
  g_free (op);
}

static FileOp *
file_op_new (guint        *transfers,
             GCancellable *cancellable,
             const char   *label)
{
  FileOp *op = g_new0 (FileOp, 1);

  op->transfers = transfers;
  op->cancellable = cancellable;
  op->label = cr_terminal_escape (label);
  (*transfers)++;
  return op;
}

static CrFileClient *
file_client (CrClient *client)
{
  g_autoptr(GSocketAddress) address = NULL;
  g_autofree char *token = NULL;

  if (!cr_client_dup_file_endpoint (client, &address, &token))
    {
      cli_status ("%s", _("Files can be shared only in a Chat Room room, once joined"));
      return NULL;
    }
  return cr_file_client_new (address, token);
}

static void
on_file_sent (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  FileOp *op = user_data;
  g_autoptr(GError) error = NULL;

  if (cr_file_client_upload_finish (CR_FILE_CLIENT (source), result, NULL, &error))
    /* Translators: %s is a file's name */
    cli_status (_("Shared %s"), op->label);
  else if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    /* Translators: the first %s is a file's name, the second why it failed */
    cli_status (_("Could not share %s: %s"), op->label, error->message);
  file_op_free (op);
}

static void
send_file (CrClient     *client,
           GCancellable *cancellable,
           guint        *transfers,
           const char   *path)
{
  g_autoptr(CrFileClient) files = NULL;
  g_autofree char *base = NULL;
  FileOp *op;

  if (*path == '\0')
    {
      cli_status ("%s", _("Give the file to share: /send PATH"));
      return;
    }
  if ((files = file_client (client)) == NULL)
    return;
  base = g_path_get_basename (path);
  op = file_op_new (transfers, cancellable, base);
  /* Translators: %s is a file's name */
  cli_status (_("Sharing %s…"), op->label);
  cr_file_client_upload_async (files, path, NULL, NULL, NULL, op->cancellable,
                               on_file_sent, op);
}

static void
on_file_got (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  FileOp *op = user_data;
  g_autoptr(GError) error = NULL;
  CrFileTransferStats stats;

  if (cr_file_client_download_finish (CR_FILE_CLIENT (source), result, &stats, &error))
    {
      g_autofree char *path = cr_terminal_escape (op->dest);

      /* Translators: the first %s is a file's name, the second where it was saved */
      cli_status (_("Saved %s to %s"), op->label, path);
    }
  else if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    /* Translators: the first %s is a file's name, the second why it failed;
     * a later /get of the same file goes on from where this one stopped */
    cli_status (_("Could not download %s: %s (/get again resumes)"), op->label,
                error->message);
  file_op_free (op);
}

/* Which file "N" (from /files) or a sha256 prefix names. */
static CrFileInfo *
find_file (GPtrArray  *list,
           const char *which)
{
  guint64 n;

  if (g_ascii_string_to_unsigned (which, 10, 1, list->len, &n, NULL))
    return list->pdata[n - 1];
  if (strlen (which) >= 8)
    for (guint i = 0; i < list->len; i++)
      if (g_str_has_prefix (((CrFileInfo *) list->pdata[i])->id, which))
        return list->pdata[i];
  return NULL;
}

static void
on_files_listed (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  FileOp *op = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) list = NULL;
  CrFileInfo *info;
  g_autofree char *dir = NULL;

  list = cr_file_client_list_finish (CR_FILE_CLIENT (source), result, &error);
  if (list == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        /* Translators: %s is why the room's files could not be listed */
        cli_status (_("Could not list the room's files: %s"), error->message);
      file_op_free (op);
      return;
    }

  if (op->id == NULL)
    {
      /* /files: numbered, oldest first, as /get takes them. */
      if (list->len == 0)
        cli_status ("%s", _("The room has no shared files"));
      for (guint i = 0; i < list->len; i++)
        {
          CrFileInfo *f = list->pdata[i];
          g_autofree char *time = cli_format_time (f->time_us);
          g_autofree char *size = g_format_size (f->size);
          g_autofree char *name = cr_terminal_escape (f->name);
          g_autofree char *sharer = cr_terminal_escape (f->sharer);
          g_autofree char *line = NULL;

          /* Translators: one shared file in /files: its number, name, size,
           * who shared it and when (HH:MM) */
          line = g_strdup_printf (_("%u. %s (%s), shared by %s at %s"), i + 1, name, size,
                                  sharer, time);
          cli_print (stdout, line);
        }
      file_op_free (op);
      return;
    }

  info = find_file (list, op->id);
  if (info == NULL)
    {
      /* Translators: %s is what was typed after /get */
      cli_status (_("No shared file “%s”: /files lists them"), op->label);
      file_op_free (op);
      return;
    }
  g_free (op->label);
  op->label = cr_terminal_escape (info->name);
  if (op->dest == NULL || g_file_test (op->dest, G_FILE_TEST_IS_DIR))
    {
      dir = op->dest != NULL ? g_strdup (op->dest) : g_get_current_dir ();
      g_free (op->dest);
      op->dest = cr_file_client_pick_dest (dir, info->name);
    }
  /* Translators: %s is a file's name */
  cli_status (_("Downloading %s…"), op->label);
  cr_file_client_download_async (CR_FILE_CLIENT (source), info->id, op->dest, NULL, NULL,
                                 op->cancellable, on_file_got, op);
}

/* /files, or /get WHICH [DEST]: both start with the room's list. */
static void
list_files (CrClient     *client,
            GCancellable *cancellable,
            guint        *transfers,
            const char   *args)
{
  g_autoptr(CrFileClient) files = NULL;
  g_auto(GStrv) parts = NULL;
  FileOp *op;

  if (args != NULL)
    {
      parts = g_strsplit (g_strstrip ((char *) args), " ", 2);
      if (parts[0] == NULL || *parts[0] == '\0')
        {
          cli_status ("%s", _("Give the file's number from /files: /get N [DEST]"));
          return;
        }
    }
  if ((files = file_client (client)) == NULL)
    return;
  op = file_op_new (transfers, cancellable, parts != NULL ? parts[0] : "");
  if (parts != NULL)
    {
      op->id = g_strdup (parts[0]);
      op->dest = parts[1] != NULL && *g_strstrip (parts[1]) != '\0' ? g_strdup (parts[1]) : NULL;
    }
  cr_file_client_list_async (files, op->cancellable, on_files_listed, op);
}

gboolean
cli_files_command (CrClient     *client,
                   const char   *line,
                   GCancellable *cancellable,
                   guint        *transfers)
{
  g_autofree char *args = NULL;

  if (g_str_equal (line, "/files"))
    list_files (client, cancellable, transfers, NULL);
  else if (g_str_has_prefix (line, "/send "))
    {
      args = g_strstrip (g_strdup (line + strlen ("/send ")));
      send_file (client, cancellable, transfers, args);
    }
  else if (g_str_equal (line, "/get") || g_str_has_prefix (line, "/get "))
    {
      args = g_strdup (line + strlen ("/get"));
      list_files (client, cancellable, transfers, args);
    }
  else
    return FALSE;
  return TRUE;
}
