/* cr-login-page.c: the first view: where to join, and as whom
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A form of AdwEntryRows. The page itself never touches the network: it
 * asks the window to join ("join-requested") and shows what came of it,
 * refusals inline under the form, notes as toasts. A room met for the
 * first time shows its key's fingerprint under the form and waits for the
 * user to compare it ("key-accepted" goes on, Cancel stays here).
 */
#define G_LOG_DOMAIN "cr-login-page"

#include "config.h"

#include <glib/gi18n.h>

#include "cr-types.h"
#include "cr-window-private.h"
#include "cr-room-list.h"

#include "cr-login-page.h"

/* The password rule as the form states it: in characters, which is what a
 * person counts. The room's rule is in bytes (CR_PASSWORD_MIN_BYTES to
 * CR_PASSWORD_MAX_BYTES); 64 characters of at most 4 bytes each always
 * fit in it, and 4 characters are at least 4 bytes. */
#define PASSWORD_MIN_CHARS CR_PASSWORD_MIN_BYTES
#define PASSWORD_MAX_CHARS (CR_PASSWORD_MAX_BYTES / 4)

struct _CrLoginPage
{
  AdwBin           parent_instance;

  /* template widgets */
  AdwToastOverlay *toast_overlay;
  GtkScrolledWindow *scroller;
  GtkWidget       *clamp;
  AdwEntryRow     *address_row;
  AdwEntryRow     *nickname_row;
  AdwEntryRow     *password_row;
  GtkCheckButton  *register_check;
  GtkWidget       *register_row;
  GtkRevealer     *error_revealer;
  GtkLabel        *error_label;
  GtkSpinner      *join_spinner;
  GtkLabel        *join_label;
  GtkWidget       *join_button;
  GtkWidget       *new_key_box;
  GtkLabel        *new_key_label;
  GtkWidget       *trust_key_button;

  /* owned */
  GSettings       *settings;
  char            *new_key;      /* the fingerprint shown, or NULL */
  guint            scroll_tick;  /* bringing the key into view */

  gboolean         busy;
};

G_DEFINE_FINAL_TYPE (CrLoginPage, cr_login_page, ADW_TYPE_BIN)

enum {
  JOIN_REQUESTED,
  KEY_ACCEPTED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static gboolean
can_join (CrLoginPage *self)
{
  const char *address = gtk_editable_get_text (GTK_EDITABLE (self->address_row));
  const char *nickname = gtk_editable_get_text (GTK_EDITABLE (self->nickname_row));

  return !self->busy && address[0] != '\0' && nickname[0] != '\0';
}

static void
update_actions (CrLoginPage *self)
{
  g_assert (CR_IS_LOGIN_PAGE (self));

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "login.join", can_join (self));
}

static void
on_row_changed (CrLoginPage *self)
{
  /* What was refused is being corrected: an old "Wrong password" would
   * now describe a form that is no longer there. */
  cr_login_page_show_error (self, NULL);
  update_actions (self);
}

static void
on_address_changed (CrLoginPage *self)
{
  /* The key shown was another address's. */
  cr_login_page_show_new_key (self, NULL);
  on_row_changed (self);
}

static void
on_register_toggled (CrLoginPage *self)
{
  /* Registering needs a password: it is optional only for guests. */
  if (gtk_check_button_get_active (self->register_check))
    adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->password_row), _("Password"));
  else
    adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->password_row),
                                   _("Password (optional)"));
  cr_login_page_show_error (self, NULL);
}

static void
on_row_entry_activated (CrLoginPage *self,
                        AdwEntryRow *row)
{
  /* Enter in a row joins once the form is complete, else moves on to
   * what is still missing. */
  if (can_join (self))
    gtk_widget_activate_action (GTK_WIDGET (self), "login.join", NULL);
  else if (gtk_editable_get_text (GTK_EDITABLE (self->address_row))[0] == '\0')
    gtk_widget_grab_focus (GTK_WIDGET (self->address_row));
  else
    gtk_widget_grab_focus (GTK_WIDGET (self->nickname_row));
}

/* A room of the LAN list was clicked: its address, then the nickname if
 * missing (else Join is a click or Enter away). */
static void
on_room_activated (CrLoginPage *self,
                   const char  *address)
{
  gtk_editable_set_text (GTK_EDITABLE (self->address_row), address);
  if (gtk_editable_get_text (GTK_EDITABLE (self->nickname_row))[0] == '\0')
    gtk_widget_grab_focus (GTK_WIDGET (self->nickname_row));
}

static void
join_action (GtkWidget  *widget,
             const char *action_name,
             GVariant   *parameter)
{
  CrLoginPage *self = CR_LOGIN_PAGE (widget);

  if (!can_join (self))
    return;

  /* Said here, in characters, before the room says it in bytes. */
  if (gtk_check_button_get_active (self->register_check))
    {
      const char *password = gtk_editable_get_text (GTK_EDITABLE (self->password_row));
      glong n_chars = g_utf8_strlen (password, -1);

      if (n_chars < PASSWORD_MIN_CHARS || n_chars > PASSWORD_MAX_CHARS)
        {
          g_autofree char *rule = cr_login_page_dup_password_rule ();

          cr_login_page_show_error (self, rule);
          gtk_widget_grab_focus (GTK_WIDGET (self->password_row));
          return;
        }
    }

  cr_login_page_show_error (self, NULL);
  g_signal_emit (self, signals[JOIN_REQUESTED], 0);
}

/* The form is taller than a small window: the key shown under it is
 * scrolled into view once it has its place (a later frame), its Join
 * included. */
static gboolean
scroll_to_new_key (GtkWidget     *widget,
                   GdkFrameClock *clock,
                   gpointer       user_data)
{
  CrLoginPage *self = CR_LOGIN_PAGE (widget);
  GtkAdjustment *adjustment = gtk_scrolled_window_get_vadjustment (self->scroller);
  graphene_rect_t bounds;
  double top, bottom, page;

  if (!gtk_widget_get_visible (self->new_key_box))
    {
      self->scroll_tick = 0;
      return G_SOURCE_REMOVE;
    }
  if (!gtk_widget_compute_bounds (self->new_key_box, self->clamp, &bounds) ||
      bounds.size.height <= 0)
    return G_SOURCE_CONTINUE;   /* not laid out yet */

  top = bounds.origin.y;
  bottom = top + bounds.size.height;
  page = gtk_adjustment_get_page_size (adjustment);
  if (bottom > gtk_adjustment_get_value (adjustment) + page)
    gtk_adjustment_set_value (adjustment, MIN (top, bottom - page));
  else if (top < gtk_adjustment_get_value (adjustment))
    gtk_adjustment_set_value (adjustment, top);
  self->scroll_tick = 0;
  return G_SOURCE_REMOVE;
}

static void
trust_key_action (GtkWidget  *widget,
                  const char *action_name,
                  GVariant   *parameter)
{
  CrLoginPage *self = CR_LOGIN_PAGE (widget);
  g_autofree char *fingerprint = g_strdup (self->new_key);

  if (fingerprint == NULL || self->busy)
    return;

  cr_login_page_show_new_key (self, NULL);
  g_signal_emit (self, signals[KEY_ACCEPTED], 0, fingerprint);
}

static void
cancel_key_action (GtkWidget  *widget,
                   const char *action_name,
                   GVariant   *parameter)
{
  CrLoginPage *self = CR_LOGIN_PAGE (widget);

  cr_login_page_show_new_key (self, NULL);
  cr_login_page_focus (self);
}

static void
cr_login_page_dispose (GObject *object)
{
  CrLoginPage *self = CR_LOGIN_PAGE (object);

  if (self->scroll_tick != 0)
    {
      gtk_widget_remove_tick_callback (GTK_WIDGET (self), self->scroll_tick);
      self->scroll_tick = 0;
    }
  g_clear_object (&self->settings);
  g_clear_pointer (&self->new_key, g_free);

  G_OBJECT_CLASS (cr_login_page_parent_class)->dispose (object);
}

static void
cr_login_page_class_init (CrLoginPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = cr_login_page_dispose;

  signals[JOIN_REQUESTED] =
    g_signal_new ("join-requested",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 0);
  /* The user compared the fingerprint shown and joins that room. */
  signals[KEY_ACCEPTED] =
    g_signal_new ("key-accepted",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, G_TYPE_STRING);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/chatroom/ChatRoom/cr-login-page.ui");
  gtk_widget_class_bind_template_child (widget_class, CrLoginPage, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, CrLoginPage, scroller);
  gtk_widget_class_bind_template_child (widget_class, CrLoginPage, clamp);
  gtk_widget_class_bind_template_child (widget_class, CrLoginPage, address_row);
  gtk_widget_class_bind_template_child (widget_class, CrLoginPage, nickname_row);
  gtk_widget_class_bind_template_child (widget_class, CrLoginPage, password_row);
  gtk_widget_class_bind_template_child (widget_class, CrLoginPage, register_check);
  gtk_widget_class_bind_template_child (widget_class, CrLoginPage, register_row);
  gtk_widget_class_bind_template_child (widget_class, CrLoginPage, error_revealer);
  gtk_widget_class_bind_template_child (widget_class, CrLoginPage, error_label);
  gtk_widget_class_bind_template_child (widget_class, CrLoginPage, join_spinner);
  gtk_widget_class_bind_template_child (widget_class, CrLoginPage, join_label);
  gtk_widget_class_bind_template_child (widget_class, CrLoginPage, join_button);
  gtk_widget_class_bind_template_child (widget_class, CrLoginPage, new_key_box);
  gtk_widget_class_bind_template_child (widget_class, CrLoginPage, new_key_label);
  gtk_widget_class_bind_template_child (widget_class, CrLoginPage, trust_key_button);
  gtk_widget_class_bind_template_callback (widget_class, on_address_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_row_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_row_entry_activated);
  gtk_widget_class_bind_template_callback (widget_class, on_register_toggled);
  gtk_widget_class_bind_template_callback (widget_class, on_room_activated);
  g_type_ensure (CR_TYPE_ROOM_LIST);

  gtk_widget_class_install_action (widget_class, "login.join", NULL, join_action);
  gtk_widget_class_install_action (widget_class, "login.trust-key", NULL, trust_key_action);
  gtk_widget_class_install_action (widget_class, "login.cancel-key", NULL, cancel_key_action);
}

static void
cr_login_page_init (CrLoginPage *self)
{
  g_autofree char *address = NULL;
  g_autofree char *nickname = NULL;

  gtk_widget_init_template (GTK_WIDGET (self));

  self->settings = g_settings_new (APP_ID);

  address = g_settings_get_string (self->settings, "last-address");
  nickname = g_settings_get_string (self->settings, "nickname");
  if (nickname[0] == '\0')
    {
      g_free (nickname);
      nickname = g_strdup (g_get_user_name ());
    }

  gtk_editable_set_text (GTK_EDITABLE (self->address_row), address);
  gtk_editable_set_text (GTK_EDITABLE (self->nickname_row), nickname);

  update_actions (self);
}

GtkWidget *
cr_login_page_new (void)
{
  return g_object_new (CR_TYPE_LOGIN_PAGE, NULL);
}

const char *
cr_login_page_get_address (CrLoginPage *self)
{
  g_return_val_if_fail (CR_IS_LOGIN_PAGE (self), NULL);

  return gtk_editable_get_text (GTK_EDITABLE (self->address_row));
}

void
cr_login_page_set_address (CrLoginPage *self,
                           const char  *address)
{
  g_return_if_fail (CR_IS_LOGIN_PAGE (self));

  gtk_editable_set_text (GTK_EDITABLE (self->address_row), address ? address : "");
}

const char *
cr_login_page_get_nickname (CrLoginPage *self)
{
  g_return_val_if_fail (CR_IS_LOGIN_PAGE (self), NULL);

  return gtk_editable_get_text (GTK_EDITABLE (self->nickname_row));
}

void
cr_login_page_set_nickname (CrLoginPage *self,
                            const char  *nickname)
{
  g_return_if_fail (CR_IS_LOGIN_PAGE (self));

  gtk_editable_set_text (GTK_EDITABLE (self->nickname_row), nickname ? nickname : "");
}

const char *
cr_login_page_get_password (CrLoginPage *self)
{
  g_return_val_if_fail (CR_IS_LOGIN_PAGE (self), NULL);

  return gtk_editable_get_text (GTK_EDITABLE (self->password_row));
}

gboolean
cr_login_page_get_register (CrLoginPage *self)
{
  g_return_val_if_fail (CR_IS_LOGIN_PAGE (self), FALSE);

  return gtk_check_button_get_active (self->register_check);
}

void
cr_login_page_remember (CrLoginPage *self)
{
  g_return_if_fail (CR_IS_LOGIN_PAGE (self));

  g_settings_set_string (self->settings, "last-address", cr_login_page_get_address (self));
  g_settings_set_string (self->settings, "nickname", cr_login_page_get_nickname (self));

  /* The nickname is registered now: the next join logs in to it, and
   * registering it again would be refused. */
  gtk_check_button_set_active (self->register_check, FALSE);
}

void
cr_login_page_focus (CrLoginPage *self)
{
  g_return_if_fail (CR_IS_LOGIN_PAGE (self));

  /* A row, not the first focusable widget of the window (the owner
   * toggle, where Enter would host a room): Enter in a row joins. The
   * first row still to fill, else the address. */
  if (gtk_editable_get_text (GTK_EDITABLE (self->address_row))[0] != '\0' &&
      gtk_editable_get_text (GTK_EDITABLE (self->nickname_row))[0] == '\0')
    gtk_widget_grab_focus (GTK_WIDGET (self->nickname_row));
  else
    gtk_widget_grab_focus (GTK_WIDGET (self->address_row));
}

char *
cr_login_page_dup_password_rule (void)
{
  /* Translators: the first %d is the shortest, the second the longest
   * password allowed, in characters */
  return g_strdup_printf (_("The password must be %d to %d characters long"),
                          PASSWORD_MIN_CHARS, PASSWORD_MAX_CHARS);
}

void
cr_login_page_set_busy (CrLoginPage *self,
                        gboolean     busy)
{
  g_return_if_fail (CR_IS_LOGIN_PAGE (self));

  busy = !!busy;
  if (self->busy == busy)
    return;

  self->busy = busy;
  gtk_widget_set_visible (GTK_WIDGET (self->join_spinner), busy);
  gtk_spinner_set_spinning (self->join_spinner, busy);
  gtk_label_set_text_with_mnemonic (self->join_label, busy ? _("Joining…") : _("_Join"));
  /* Read-only, not insensitive: the row that has the focus keeps it
   * (GTK 4.8 leaves an insensitive GtkText's cursor blinking without
   * the focus, and warns). */
  gtk_editable_set_editable (GTK_EDITABLE (self->address_row), !busy);
  gtk_editable_set_editable (GTK_EDITABLE (self->nickname_row), !busy);
  gtk_editable_set_editable (GTK_EDITABLE (self->password_row), !busy);
  gtk_widget_set_sensitive (self->register_row, !busy);
  update_actions (self);
}

void
cr_login_page_show_error (CrLoginPage *self,
                          const char  *text)
{
  g_return_if_fail (CR_IS_LOGIN_PAGE (self));

  if (text != NULL && text[0] != '\0')
    {
      gtk_label_set_text (self->error_label, text);
      gtk_widget_set_visible (GTK_WIDGET (self->error_revealer), TRUE);
      gtk_revealer_set_reveal_child (self->error_revealer, TRUE);
      gtk_accessible_update_property (GTK_ACCESSIBLE (self->error_label),
                                      GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, text, -1);
    }
  else
    {
      /* Hidden, not just unrevealed: the box's spacing would stay. */
      gtk_label_set_text (self->error_label, "");
      gtk_revealer_set_reveal_child (self->error_revealer, FALSE);
      gtk_widget_set_visible (GTK_WIDGET (self->error_revealer), FALSE);
    }
}

const char *
cr_login_page_get_error (CrLoginPage *self)
{
  g_return_val_if_fail (CR_IS_LOGIN_PAGE (self), NULL);

  return gtk_label_get_text (self->error_label);
}

void
cr_login_page_show_toast (CrLoginPage *self,
                          const char  *text)
{
  g_return_if_fail (CR_IS_LOGIN_PAGE (self));
  g_return_if_fail (text != NULL);

  adw_toast_overlay_add_toast (self->toast_overlay, adw_toast_new (text));
}

void
cr_login_page_add_toast (CrLoginPage *self,
                         AdwToast    *toast)
{
  g_return_if_fail (CR_IS_LOGIN_PAGE (self));
  g_return_if_fail (ADW_IS_TOAST (toast));

  adw_toast_overlay_add_toast (self->toast_overlay, toast);
}

void
cr_login_page_show_new_key (CrLoginPage *self,
                            const char  *fingerprint)
{
  gboolean shown;

  g_return_if_fail (CR_IS_LOGIN_PAGE (self));

  if (fingerprint != NULL && fingerprint[0] == '\0')
    fingerprint = NULL;
  if (g_strcmp0 (self->new_key, fingerprint) == 0)
    return;

  g_free (self->new_key);
  self->new_key = g_strdup (fingerprint);
  shown = fingerprint != NULL;
  gtk_label_set_text (self->new_key_label, shown ? fingerprint : "");
  gtk_widget_set_visible (self->new_key_box, shown);
  /* The question has its own Join: one way on at a time. */
  gtk_widget_set_visible (self->join_button, !shown);
  if (shown)
    {
      gtk_widget_grab_focus (self->trust_key_button);
      if (self->scroll_tick == 0)
        self->scroll_tick = gtk_widget_add_tick_callback (GTK_WIDGET (self), scroll_to_new_key,
                                                          NULL, NULL);
    }
}

const char *
cr_login_page_get_new_key (CrLoginPage *self)
{
  g_return_val_if_fail (CR_IS_LOGIN_PAGE (self), NULL);

  return self->new_key;
}

/* --- for tests (cr-window-private.h) ------------------------------------ */

GtkCheckButton *
_cr_login_page_get_register_check (CrLoginPage *self)
{
  return self->register_check;
}

AdwEntryRow *
_cr_login_page_get_password_row (CrLoginPage *self)
{
  return self->password_row;
}

GtkLabel *
_cr_login_page_get_error_label (CrLoginPage *self)
{
  return self->error_label;
}
