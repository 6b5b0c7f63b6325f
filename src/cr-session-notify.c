/* cr-session-notify.c: what arrives in the session's room: notifications,
 * the unread count, muting
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The session decides (cr-session.h says when); the application sends,
 * one notification per conversation updated in place, whose default
 * action leads to the message (cr-application.c). The decision is here and
 * not in the window because a room kept in the background has no window.
 */
#define G_LOG_DOMAIN "cr-session"

#include "config.h"

#include <gtk/gtk.h>

#include "cr-mention.h"
#include "cr-application.h"
#include "cr-session-private.h"
#include "cr-session.h"

/* Whether the reader is looking at one of our windows. */
static gboolean
any_window_active (void)
{
  GListModel *toplevels = gtk_window_get_toplevels ();

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr(GtkWindow) window = g_list_model_get_item (toplevels, i);

      if (gtk_window_is_active (window))
        return TRUE;
    }
  return FALSE;
}

static void
set_n_unread (CrSession *self,
              guint      n_unread)
{
  if (self->n_unread == n_unread)
    return;

  self->n_unread = n_unread;
  g_object_notify (G_OBJECT (self), "n-unread");
}

void
_cr_session_on_message_received (CrSession *self,
                                 CrMessage *message,
                                 CrClient  *client)
{
  g_autofree char *conversation = NULL;
  GApplication *app;
  gboolean mention;

  g_assert (CR_IS_SESSION (self));
  g_assert (CR_IS_MESSAGE (message));

  if (cr_message_get_own (message))
    return;

  if (cr_message_is_system (message) && cr_message_get_kind (message) != CR_EVENT_ANNOUNCE)
    return;

  /* Counted first: a window that shows the end clears it at once
   * (cr-window.c), any other reader sees it in the title. */
  set_n_unread (self, self->n_unread + 1);

  mention = !cr_message_is_system (message) &&
            cr_mention_matches (cr_message_get_text (message), cr_client_get_name (client),
                                cr_message_get_kind (message) == CR_EVENT_OWNER_CHAT);

  /* A muted room still says when it calls on the reader. */
  if (!mention && (cr_session_get_muted (self) || any_window_active ()))
    return;

  self->n_notifications++;

  app = g_application_get_default ();
  conversation = cr_session_dup_conversation_id (self);
  if (CR_IS_APPLICATION (app) && conversation != NULL)
    cr_application_notify_message (CR_APPLICATION (app), self, conversation,
                                   cr_session_get_room_name (self), message, mention);
}

void
_cr_session_conversation_changed (CrSession *self)
{
  set_n_unread (self, 0);
  _cr_session_notify_muted (self);
}

void
_cr_session_notify_muted (CrSession *self)
{
  g_object_notify (G_OBJECT (self), "muted");
}

/* --- public API --------------------------------------------------------- */

char *
cr_session_dup_conversation_id (CrSession *self)
{
  const char *name;
  const char *address;

  g_return_val_if_fail (CR_IS_SESSION (self), NULL);

  if (self->client == NULL)
    return NULL;

  name = cr_client_get_name (self->client);
  address = cr_client_get_address (self->client);
  if (name == NULL || address == NULL)
    return NULL;

  return g_strdup_printf ("room:%s@%s", name, address);
}

guint
cr_session_get_n_unread (CrSession *self)
{
  g_return_val_if_fail (CR_IS_SESSION (self), 0);

  return self->n_unread;
}

void
cr_session_mark_read (CrSession *self)
{
  g_autofree char *conversation = NULL;
  GApplication *app = g_application_get_default ();

  g_return_if_fail (CR_IS_SESSION (self));

  set_n_unread (self, 0);

  conversation = cr_session_dup_conversation_id (self);
  if (CR_IS_APPLICATION (app) && conversation != NULL)
    cr_application_withdraw_conversation (CR_APPLICATION (app), conversation);
}

gboolean
cr_session_get_muted (CrSession *self)
{
  g_auto(GStrv) muted = NULL;
  const char *address;

  g_return_val_if_fail (CR_IS_SESSION (self), FALSE);

  if (self->client == NULL || (address = cr_client_get_address (self->client)) == NULL)
    return FALSE;

  muted = g_settings_get_strv (self->settings, "muted-rooms");
  return g_strv_contains ((const char * const *) muted, address);
}

void
cr_session_set_muted (CrSession *self,
                      gboolean   muted)
{
  g_autoptr(GStrvBuilder) builder = NULL;
  g_auto(GStrv) rooms = NULL;
  g_auto(GStrv) updated = NULL;
  const char *address;

  g_return_if_fail (CR_IS_SESSION (self));

  /* Remembered by the room's address: the same room next time. */
  if (self->client == NULL || (address = cr_client_get_address (self->client)) == NULL ||
      cr_session_get_muted (self) == !!muted)
    return;

  rooms = g_settings_get_strv (self->settings, "muted-rooms");
  builder = g_strv_builder_new ();
  for (guint i = 0; rooms[i] != NULL; i++)
    if (!g_str_equal (rooms[i], address))
      g_strv_builder_add (builder, rooms[i]);
  if (muted)
    g_strv_builder_add (builder, address);
  updated = g_strv_builder_end (builder);

  /* "changed::muted-rooms" notifies "muted" (cr-session.c). */
  g_settings_set_strv (self->settings, "muted-rooms", (const char * const *) updated);
}

/* --- for tests (cr-session-private.h) ----------------------------------- */

guint
_cr_session_get_n_notifications (CrSession *self)
{
  return self->n_notifications;
}
