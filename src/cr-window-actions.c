/* cr-window-actions.c: what the window's actions do: join, leave, owner
 * mode and its questions
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Each action asks the session (cr-session.c) and shows what came of it;
 * the view itself follows the session's state (cr-window.c).
 */
#define G_LOG_DOMAIN "cr-window"

#include "config.h"

#include <glib/gi18n.h>

#include "cr-window-private.h"
#include "cr-window.h"

/* --- joining ------------------------------------------------------------ */

static void on_login_page_join_requested (CrWindow    *self,
                                          CrLoginPage *page);

static void
on_key_dialog_response (AdwMessageDialog *dialog,
                        const char       *response,
                        CrWindow         *self)
{
  if (g_strcmp0 (response, "trust") != 0)
    return;
  cr_session_set_accept_new_key (self->session, TRUE);
  on_login_page_join_requested (self, self->login_page);
}

/* The room's key is not the one remembered (cr-trust.h): only the user's
 * explicit choice goes on. The message names both fingerprints. */
static void
ask_about_new_key (CrWindow     *self,
                   const GError *error)
{
  AdwMessageDialog *dialog;

  dialog = ADW_MESSAGE_DIALOG (adw_message_dialog_new (GTK_WINDOW (self),
                                                       _("The Room’s Key Changed"),
                                                       error->message));
  adw_message_dialog_add_responses (dialog,
                                    "cancel", _("_Cancel"),
                                    "trust", _("_Trust the New Key"),
                                    NULL);
  adw_message_dialog_set_response_appearance (dialog, "trust", ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_default_response (dialog, "cancel");
  adw_message_dialog_set_close_response (dialog, "cancel");
  g_signal_connect_object (dialog, "response", G_CALLBACK (on_key_dialog_response), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
on_join_finished (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(CrWindow) self = user_data;
  g_autoptr(GError) error = NULL;

  if (!cr_session_join_finish (CR_SESSION (source), result, &error))
    {
      g_autofree char *why = NULL;

      /* Given up by leaving: nothing to say. */
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;

      /* A room met for the first time: the join stopped before our name
       * or password left, and the login view shows the room's key for
       * the user to compare with the owner's, then join or not. */
      if (g_error_matches (error, CR_CLIENT_ERROR, CR_REASON_KEY_NEW))
        {
          _cr_window_show_login (self, NULL, NULL);
          cr_login_page_show_new_key (self->login_page, cr_session_get_new_key (self->session));
          return;
        }

      why = _cr_window_dup_error_text (error);
      _cr_window_show_login (self, why, NULL);
      if (g_error_matches (error, CR_CLIENT_ERROR, CR_REASON_KEY_CHANGED))
        ask_about_new_key (self, error);
      return;
    }

  cr_login_page_remember (self->login_page);
  cr_login_page_show_error (self->login_page, NULL);
}

static void
on_login_page_join_requested (CrWindow    *self,
                              CrLoginPage *page)
{
  g_autofree char *address = NULL;
  g_autofree char *name = NULL;

  if (cr_session_get_state (self->session) != CR_SESSION_IDLE ||
      cr_session_get_owner_mode (self->session))
    return;

  address = g_strstrip (g_strdup (cr_login_page_get_address (page)));
  name = g_strstrip (g_strdup (cr_login_page_get_nickname (page)));

  cr_login_page_show_error (self->login_page, NULL);
  cr_login_page_show_new_key (self->login_page, NULL);
  cr_session_join_async (self->session, address, name,
                         cr_login_page_get_password (page),
                         cr_login_page_get_register (page),
                         on_join_finished, g_object_ref (self));
}

/* The user compared the first-seen room's key with the owner's: join,
 * trusting that key only (another one stops the join again). */
static void
on_login_page_key_accepted (CrWindow    *self,
                            const char  *fingerprint,
                            CrLoginPage *page)
{
  cr_session_accept_key (self->session, fingerprint);
  on_login_page_join_requested (self, page);
}

/* --- owner mode --------------------------------------------------------- */

static void
start_hosting (CrWindow *self)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *why = NULL;

  cr_login_page_show_error (self->login_page, NULL);
  if (cr_session_host (self->session, cr_login_page_get_nickname (self->login_page), &error))
    return;

  if (g_error_matches (error, CR_SERVER_ERROR, CR_SERVER_ERROR_BIND))
    {
      guint wanted = g_settings_get_uint (self->settings, "owner-port");
      AdwToast *toast;

      /* Translators: %u is a port number */
      why = g_strdup_printf (_("Could not host a room on port %u: another program "
                               "is using it. Stop that program or choose another port."),
                             wanted);

      /* The port is only changed in the owner view, which needs a running
       * room: offer a way out of that circle. */
      toast = adw_toast_new (_("The room's port is taken"));
      adw_toast_set_button_label (toast, _("Use _Another Port"));
      adw_toast_set_action_name (toast, "win.host-on-free-port");
      adw_toast_set_timeout (toast, 0);
      cr_login_page_add_toast (self->login_page, toast);
    }
  else
    {
      g_autofree char *detail = _cr_window_dup_error_text (error);

      /* Translators: %s says why */
      why = g_strdup_printf (_("Could not host a room: %s"), detail);
    }

  g_debug ("Hosting failed: %s", error->message);
  _cr_window_show_login (self, why, NULL);
  /* The toggle follows the property: say that it is still off. */
  _cr_window_notify_owner_mode (self);
}

static void
on_confirm_response (CrWindow         *self,
                     const char       *response,
                     AdwMessageDialog *dialog)
{
  CrWindowAsk kind = self->confirm_kind;

  g_clear_weak_pointer (&self->confirm_dialog);

  if (g_strcmp0 (response, "cancel") == 0 || response == NULL)
    {
      /* The toggle follows the property: say again what it is. */
      _cr_window_notify_owner_mode (self);
      return;
    }

  switch (kind)
    {
    case CR_WINDOW_ASK_STOP_HOSTING:
      /* The room tells everyone, ourselves included; the session's
       * "ended" brings the login view back. */
      cr_session_stop_hosting (self->session);
      break;

    case CR_WINDOW_ASK_CLOSE_HOSTING:
      /* Closing goes on as for any room (cr_window_close_request). */
      self->close_confirmed = TRUE;
      gtk_window_close (GTK_WINDOW (self));
      break;

    case CR_WINDOW_ASK_KEEP_HOSTING:
      /* Asked once: the answer stands until changed in the primary menu
       * (app.keep-hosting-in-background). */
      g_settings_set_boolean (self->settings, "background-asked", TRUE);
      g_settings_set_boolean (self->settings, "keep-hosting-in-background",
                              g_strcmp0 (response, "keep") == 0);
      if (g_strcmp0 (response, "keep") == 0)
        _cr_window_close_to_background (self);
      else
        {
          self->close_confirmed = TRUE;
          gtk_window_close (GTK_WINDOW (self));
        }
      break;

    case CR_WINDOW_ASK_LEAVE_TO_HOST:
      /* Hosting leaves the room we are in (cr_session_host). */
      if (!cr_session_get_owner_mode (self->session))
        start_hosting (self);
      break;

    default:
      g_assert_not_reached ();
    }
}

void
_cr_window_ask (CrWindow    *self,
                CrWindowAsk  kind)
{
  g_autofree char *body = NULL;
  const char *heading;
  const char *yes;
  const char *yes_id;
  GtkWidget *dialog;

  if (self->confirm_dialog != NULL)
    {
      /* One question at a time; the latest reason to ask is the one the
       * answer acts on. */
      self->confirm_kind = kind;
      gtk_window_present (GTK_WINDOW (self->confirm_dialog));
      return;
    }

  if (kind == CR_WINDOW_ASK_LEAVE_TO_HOST)
    {
      const char *room = cr_session_get_room_name (self->session);

      heading = _("Leave the Room to Host One?");
      if (room != NULL && room[0] != '\0')
        /* Translators: %s is the name of the room you are in */
        body = g_strdup_printf (_("You are in “%s”. Hosting a room of your own leaves it, "
                                  "and its members see that you left."), room);
      else
        body = g_strdup (_("Hosting a room of your own leaves the room you are in, "
                           "and its members see that you left."));
      yes = _("_Leave and Host");
      yes_id = "host";
    }
  else if (kind == CR_WINDOW_ASK_KEEP_HOSTING)
    {
      heading = _("Keep the Room Open in the Background?");
      body = g_strdup (_("The room can go on without its window: its members keep "
                         "chatting, and a notification lets you open it again or close it. "
                         "You can change this later in the main menu."));
      yes = _("C_lose Room");
      yes_id = "close";
    }
  else
    {
      heading = _("Close the Room?");
      body = g_strdup (_("Everyone in the room sees that it closed and "
                         "is sent back to the start. The room stops."));
      yes = _("C_lose Room");
      yes_id = "close";
    }

  dialog = adw_message_dialog_new (GTK_WINDOW (self), heading, body);
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog),
                                    "cancel", _("_Cancel"),
                                    yes_id, yes,
                                    NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), yes_id,
                                              ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  if (kind == CR_WINDOW_ASK_KEEP_HOSTING)
    {
      /* The answer that keeps the room is the one to lean on. */
      adw_message_dialog_add_response (ADW_MESSAGE_DIALOG (dialog), "keep", _("_Keep Open"));
      adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "keep",
                                                  ADW_RESPONSE_SUGGESTED);
      adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "keep");
    }
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  g_signal_connect_object (dialog, "response",
                           G_CALLBACK (on_confirm_response), self, G_CONNECT_SWAPPED);

  /* Weak: the dialog may go with its parent without answering. */
  g_set_weak_pointer (&self->confirm_dialog, ADW_MESSAGE_DIALOG (dialog));
  self->confirm_kind = kind;
  gtk_window_present (GTK_WINDOW (dialog));
}

void
_cr_window_ask_stop_hosting (CrWindow *self)
{
  _cr_window_ask (self, CR_WINDOW_ASK_STOP_HOSTING);
}

void
cr_window_set_owner_mode (CrWindow *self,
                          gboolean  owner_mode)
{
  gboolean hosting;

  g_return_if_fail (CR_IS_WINDOW (self));

  if (self->closing)
    return;

  hosting = cr_session_get_owner_mode (self->session);
  if (owner_mode && !hosting)
    {
      CrSessionState state = cr_session_get_state (self->session);

      /* Hosting ends a membership elsewhere: ask first. */
      if (state == CR_SESSION_IN_ROOM || state == CR_SESSION_RECONNECTING)
        {
          _cr_window_ask (self, CR_WINDOW_ASK_LEAVE_TO_HOST);
          /* The toggle follows the property: still off. */
          _cr_window_notify_owner_mode (self);
        }
      else
        start_hosting (self);
    }
  else if (!owner_mode && hosting)
    _cr_window_ask_stop_hosting (self);
}

static void
host_on_free_port_action (GtkWidget  *widget,
                          const char *action_name,
                          GVariant   *parameter)
{
  CrWindow *self = CR_WINDOW (widget);

  if (cr_session_get_owner_mode (self->session) || self->closing)
    return;

  if (cr_session_use_free_port (self->session))
    cr_window_set_owner_mode (self, TRUE);
}

/* --- leaving ------------------------------------------------------------ */

static void
leave_action (GtkWidget  *widget,
              const char *action_name,
              GVariant   *parameter)
{
  CrWindow *self = CR_WINDOW (widget);

  if (cr_session_get_owner_mode (self->session))
    {
      /* The owner leaving closes the room: ask first, as the toggle does. */
      _cr_window_ask_stop_hosting (self);
      return;
    }

  if (cr_session_get_state (self->session) == CR_SESSION_IDLE)
    {
      /* The conversation of a room that dropped us: close it. */
      _cr_window_close_ended_view (self);
      return;
    }

  /* Still joining: give up, quietly. In a room: "ended" says we left. */
  cr_login_page_show_error (self->login_page, NULL);
  cr_session_leave_async (self->session, NULL, NULL);
}

/* Join the room that dropped us (or that we left) again, as the login
 * view says (its address, nickname and password are the ones we joined
 * with). */
static void
rejoin_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *parameter)
{
  CrWindow *self = CR_WINDOW (widget);

  if (!self->ended_view && !self->left_on_purpose)
    return;

  on_login_page_join_requested (self, self->login_page);
}

void
_cr_window_class_add_actions (GtkWidgetClass *widget_class)
{
  gtk_widget_class_install_action (widget_class, "win.rejoin", NULL, rejoin_action);
  gtk_widget_class_bind_template_callback (widget_class, on_login_page_join_requested);
  gtk_widget_class_bind_template_callback (widget_class, on_login_page_key_accepted);
  gtk_widget_class_install_action (widget_class, "win.leave", NULL, leave_action);
  gtk_widget_class_install_action (widget_class, "win.host-on-free-port", NULL,
                                   host_on_free_port_action);
}
