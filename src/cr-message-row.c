/* cr-message-row.c: one message in the chat list
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Sender, time and text; a system line (join, leave, kick…) centered and
 * dimmed; the owner's messages badged; the author line hidden when the same
 * sender wrote the message above within a minute; own messages marked
 * pending, delivered, or failed with a retry button. A reply shows the
 * quoted sender and first line above its text, a button that goes to the
 * original (chat.jump-to); a recalled message reads "NAME recalled a
 * message" (cr_message_dup_display).
 */
#define G_LOG_DOMAIN "cr-message-row"

#include "config.h"

#include <string.h>

#include <glib/gi18n.h>

#include "cr-render.h"
#include "cr-message-row.h"

/* Messages of one sender closer than this share one author line. */
#define GROUP_WINDOW_US (60 * G_USEC_PER_SEC)

struct _CrMessageRow
{
  GtkBox      parent_instance;

  /* template widgets */
  GtkWidget  *header_box;
  GtkLabel   *sender_label;
  GtkWidget  *owner_badge;
  GtkLabel   *time_label;
  GtkLabel   *text_label;
  GtkWidget  *body_box;

  /* made for the first own message the row shows */
  GtkImage   *state_image;
  GtkWidget  *retry_button;
  GtkLabel   *failure_label;    /* why it was not sent, under the text */

  /* made for the first burst summary the row shows */
  GtkWidget  *burst_button;
  GtkLabel   *burst_label;
  GtkImage   *burst_arrow;

  /* made for the first reply the row shows */
  GtkWidget  *quote_button;
  GtkLabel   *quote_label;

  /* owned */
  CrMessage  *message;          /* bound */
  CrMessage  *displayed;        /* what the labels show; kept after unbind */
  gulong      state_handler;
  gulong      conversation_handler;  /* the quote arrives, the text is recalled */

  int         shown_state;      /* CrMessageState the marks show, or -1 */
  gboolean    grouped;
};

G_DEFINE_FINAL_TYPE (CrMessageRow, cr_message_row, GTK_TYPE_BOX)

static gboolean
is_chat (CrMessage *message)
{
  return message != NULL && !cr_message_is_system (message);
}

static char *
format_full_time (gint64 time_us)
{
  g_autoptr(GDateTime) time = NULL;

  if (time_us <= 0)
    time_us = g_get_real_time ();

  time = g_date_time_new_from_unix_local (time_us / G_USEC_PER_SEC);
  if (time == NULL)
    return g_strdup ("");

  /* The locale's own date and time forms: nothing to translate. */
  return g_date_time_format (time, "%x %X");
}

/* "%H:%M" of time_us. Consecutive messages mostly fall in the same minute:
 * remember the last one rather than build a GDateTime per row. */
static const char *
format_short_time (gint64 time_us)
{
  static gint64 cached_minute = G_MININT64;
  static char cached[32];
  gint64 minute;

  if (time_us <= 0)
    time_us = g_get_real_time ();

  minute = time_us / (60 * G_USEC_PER_SEC);
  if (minute != cached_minute)
    {
      g_autoptr(GDateTime) time = g_date_time_new_from_unix_local (time_us / G_USEC_PER_SEC);
      g_autofree char *text = time != NULL ? g_date_time_format (time, "%H:%M") : NULL;

      g_strlcpy (cached, text != NULL ? text : "", sizeof cached);
      cached_minute = minute;
    }

  return cached;
}

/* Most rows show others' messages: a row makes its delivery mark and retry
 * button (an icon, and a button watching the chat.retry action) only when
 * it first shows one of the reader's, which keeps the rows a burst creates
 * small. */
static void
ensure_state_widgets (CrMessageRow *self)
{
  GtkWidget *box;
  GtkWidget *icon;
  GtkWidget *label;

  if (self->state_image != NULL)
    return;

  self->state_image = GTK_IMAGE (gtk_image_new ());
  gtk_widget_set_valign (GTK_WIDGET (self->state_image), GTK_ALIGN_END);
  gtk_widget_set_visible (GTK_WIDGET (self->state_image), FALSE);
  gtk_widget_add_css_class (GTK_WIDGET (self->state_image), "dim-label");
  gtk_box_append (GTK_BOX (self->body_box), GTK_WIDGET (self->state_image));

  icon = g_object_new (GTK_TYPE_IMAGE,
                       "icon-name", "dialog-error-symbolic",
                       "accessible-role", GTK_ACCESSIBLE_ROLE_PRESENTATION,
                       NULL);
  label = gtk_label_new_with_mnemonic (_("_Retry"));
  box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 4);
  gtk_box_append (GTK_BOX (box), icon);
  gtk_box_append (GTK_BOX (box), label);

  self->retry_button = gtk_button_new ();
  gtk_button_set_child (GTK_BUTTON (self->retry_button), box);
  gtk_widget_set_valign (self->retry_button, GTK_ALIGN_CENTER);
  gtk_widget_set_visible (self->retry_button, FALSE);
  gtk_widget_add_css_class (self->retry_button, "flat");
  gtk_widget_add_css_class (self->retry_button, "error");
  gtk_actionable_set_action_name (GTK_ACTIONABLE (self->retry_button), "chat.retry");
  gtk_actionable_set_action_target (GTK_ACTIONABLE (self->retry_button), "t", (guint64) 0);
  gtk_box_append (GTK_BOX (self->body_box), self->retry_button);

  /* The reason on the row itself, not only in the button's tooltip. */
  self->failure_label = GTK_LABEL (gtk_label_new (NULL));
  gtk_label_set_xalign (self->failure_label, 0);
  gtk_label_set_wrap (self->failure_label, TRUE);
  gtk_label_set_wrap_mode (self->failure_label, PANGO_WRAP_WORD_CHAR);
  gtk_widget_set_visible (GTK_WIDGET (self->failure_label), FALSE);
  gtk_widget_add_css_class (GTK_WIDGET (self->failure_label), "caption");
  gtk_widget_add_css_class (GTK_WIDGET (self->failure_label), "error");
  gtk_box_append (GTK_BOX (self), GTK_WIDGET (self->failure_label));
}

static void
update_state (CrMessageRow *self)
{
  CrMessageState state;

  g_assert (CR_IS_MESSAGE_ROW (self));

  if (self->message == NULL || !cr_message_get_own (self->message))
    {
      if (self->state_image != NULL)
        {
          gtk_widget_set_visible (GTK_WIDGET (self->state_image), FALSE);
          gtk_widget_set_visible (self->retry_button, FALSE);
          gtk_widget_set_visible (GTK_WIDGET (self->failure_label), FALSE);
        }
      gtk_widget_remove_css_class (GTK_WIDGET (self), "pending");
      gtk_widget_remove_css_class (GTK_WIDGET (self), "failed");
      return;
    }

  ensure_state_widgets (self);

  state = cr_message_get_state (self->message);

  /* Rebinding the same message in the same state: the marks are right. */
  if ((int) state == self->shown_state)
    return;
  self->shown_state = state;

  gtk_widget_set_visible (GTK_WIDGET (self->state_image),
                          state == CR_MESSAGE_PENDING || state == CR_MESSAGE_SENT);
  gtk_widget_set_visible (self->retry_button, state == CR_MESSAGE_FAILED);
  gtk_widget_set_visible (GTK_WIDGET (self->failure_label), state == CR_MESSAGE_FAILED);

  if (state == CR_MESSAGE_PENDING)
    {
      gtk_image_set_from_icon_name (self->state_image, "content-loading-symbolic");
      gtk_widget_set_tooltip_text (GTK_WIDGET (self->state_image), _("Sending…"));
      gtk_accessible_update_property (GTK_ACCESSIBLE (self->state_image),
                                      GTK_ACCESSIBLE_PROPERTY_LABEL, _("Sending…"), -1);
    }
  else if (state == CR_MESSAGE_SENT)
    {
      gtk_image_set_from_icon_name (self->state_image, "emblem-ok-symbolic");
      gtk_widget_set_tooltip_text (GTK_WIDGET (self->state_image), _("Delivered"));
      gtk_accessible_update_property (GTK_ACCESSIBLE (self->state_image),
                                      GTK_ACCESSIBLE_PROPERTY_LABEL, _("Delivered"), -1);
    }
  else if (state == CR_MESSAGE_FAILED)
    {
      g_autofree char *why = cr_render_reason (cr_message_get_failure (self->message), NULL);
      /* Translators: tooltip of the retry button; %s says why it failed */
      g_autofree char *tip = g_strdup_printf (_("Not sent: %s. Click to try again."), why);

      /* Translators: under a message that failed; %s says why */
      g_autofree char *line = g_strdup_printf (_("Not sent: %s"), why);

      gtk_widget_set_tooltip_text (self->retry_button, tip);
      gtk_label_set_text (self->failure_label, line);
      gtk_actionable_set_action_target (GTK_ACTIONABLE (self->retry_button), "t",
                                        cr_message_get_origin (self->message));
    }

  if (state == CR_MESSAGE_PENDING)
    gtk_widget_add_css_class (GTK_WIDGET (self), "pending");
  else
    gtk_widget_remove_css_class (GTK_WIDGET (self), "pending");

  if (state == CR_MESSAGE_FAILED)
    gtk_widget_add_css_class (GTK_WIDGET (self), "failed");
  else
    gtk_widget_remove_css_class (GTK_WIDGET (self), "failed");
}

static void
on_message_notify_state (CrMessageRow *self,
                         GParamSpec   *pspec,
                         CrMessage    *message)
{
  update_state (self);
}

static void
ensure_quote_widgets (CrMessageRow *self)
{
  if (self->quote_button != NULL)
    return;

  self->quote_label = GTK_LABEL (gtk_label_new (NULL));
  gtk_label_set_xalign (self->quote_label, 0);
  gtk_label_set_ellipsize (self->quote_label, PANGO_ELLIPSIZE_END);
  gtk_label_set_single_line_mode (self->quote_label, TRUE);

  self->quote_button = gtk_button_new ();
  gtk_button_set_child (GTK_BUTTON (self->quote_button), GTK_WIDGET (self->quote_label));
  gtk_widget_set_halign (self->quote_button, GTK_ALIGN_START);
  gtk_widget_add_css_class (self->quote_button, "flat");
  gtk_widget_add_css_class (self->quote_button, "quote");
  gtk_widget_set_tooltip_text (self->quote_button, _("Go to the message answered"));
  gtk_actionable_set_action_target (GTK_ACTIONABLE (self->quote_button), "t", (guint64) 0);
  gtk_actionable_set_action_name (GTK_ACTIONABLE (self->quote_button), "chat.jump-to");
  gtk_box_insert_child_after (GTK_BOX (self), self->quote_button, self->header_box);
}

/* The quote of a reply above its text; hidden for anything else. */
static void
update_quote (CrMessageRow *self)
{
  CrMessage *message = self->message;
  guint64 reply_to = message != NULL ? cr_message_get_reply_to (message) : 0;
  g_autofree char *text = NULL;
  const char *name;
  const char *quote;
  const char *newline;

  if (reply_to == 0 || cr_message_get_recalled (message))
    {
      if (self->quote_button != NULL)
        gtk_widget_set_visible (self->quote_button, FALSE);
      return;
    }

  ensure_quote_widgets (self);
  name = cr_message_get_quote_name (message);
  quote = cr_message_get_quote_text (message);
  if (name == NULL)
    text = g_strdup ("…");   /* an own reply, until the room fills the quote in */
  else
    {
      g_autofree char *line = NULL;

      quote = quote != NULL ? quote : "";
      newline = strchr (quote, '\n');
      line = newline != NULL ? g_strndup (quote, newline - quote) : g_strdup (quote);
      if (line[0] == '\0')
        /* Translators: the quote of a reply whose original was recalled;
         * %s is a nickname */
        text = g_strdup_printf (_("%s: (recalled)"), name);
      else
        /* Translators: the quote above a reply: a nickname and the
         * first line of the message answered */
        text = g_strdup_printf (_("%s: %s"), name, line);
    }

  gtk_label_set_text (self->quote_label, text);
  gtk_actionable_set_action_target (GTK_ACTIONABLE (self->quote_button), "t", reply_to);
  gtk_widget_set_visible (self->quote_button, TRUE);
}

static void update_text (CrMessageRow *self);

static void
on_message_notify_conversation (CrMessageRow *self,
                                GParamSpec   *pspec,
                                CrMessage    *message)
{
  update_text (self);
  update_quote (self);
}

static void
set_class (CrMessageRow *self,
           const char   *name,
           gboolean      set)
{
  if (set)
    gtk_widget_add_css_class (GTK_WIDGET (self), name);
  else
    gtk_widget_remove_css_class (GTK_WIDGET (self), name);
}

static void
cr_message_row_dispose (GObject *object)
{
  CrMessageRow *self = CR_MESSAGE_ROW (object);

  if (self->message != NULL)
    {
      g_clear_signal_handler (&self->state_handler, self->message);
      g_clear_signal_handler (&self->conversation_handler, self->message);
    }
  g_clear_object (&self->message);
  g_clear_object (&self->displayed);

  G_OBJECT_CLASS (cr_message_row_parent_class)->dispose (object);
}

/* The full date only when the pointer rests on the row: setting a tooltip
 * on every bind cost a tooltip query per row in a burst. */
static gboolean
cr_message_row_query_tooltip (GtkWidget  *widget,
                              int         x,
                              int         y,
                              gboolean    keyboard_tooltip,
                              GtkTooltip *tooltip)
{
  CrMessageRow *self = CR_MESSAGE_ROW (widget);
  g_autofree char *text = NULL;

  if (self->message == NULL)
    return FALSE;

  text = format_full_time (cr_message_get_time (self->message));
  gtk_tooltip_set_text (tooltip, text);
  return TRUE;
}

static void
cr_message_row_class_init (CrMessageRowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = cr_message_row_dispose;
  widget_class->query_tooltip = cr_message_row_query_tooltip;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/chatroom/ChatRoom/cr-message-row.ui");
  gtk_widget_class_bind_template_child (widget_class, CrMessageRow, header_box);
  gtk_widget_class_bind_template_child (widget_class, CrMessageRow, sender_label);
  gtk_widget_class_bind_template_child (widget_class, CrMessageRow, owner_badge);
  gtk_widget_class_bind_template_child (widget_class, CrMessageRow, time_label);
  gtk_widget_class_bind_template_child (widget_class, CrMessageRow, text_label);
  gtk_widget_class_bind_template_child (widget_class, CrMessageRow, body_box);

  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_GROUP);
}

static void
cr_message_row_init (CrMessageRow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  self->shown_state = -1;
  gtk_widget_set_has_tooltip (GTK_WIDGET (self), TRUE);
}

GtkWidget *
cr_message_row_new (void)
{
  return g_object_new (CR_TYPE_MESSAGE_ROW, NULL);
}

void
cr_message_row_set_message (CrMessageRow *self,
                            CrMessage    *message,
                            CrMessage    *previous,
                            const char   *owner_name)
{
  const char *sender;
  gboolean system;
  gboolean announcement;
  gboolean own;
  gboolean owner;

  g_return_if_fail (CR_IS_MESSAGE_ROW (self));
  g_return_if_fail (message == NULL || CR_IS_MESSAGE (message));

  if (self->message != NULL)
    {
      g_clear_signal_handler (&self->state_handler, self->message);
      g_clear_signal_handler (&self->conversation_handler, self->message);
    }
  g_set_object (&self->message, message);

  /* Unbinding leaves the labels as they are: the list often binds the
   * same message again at another position. */
  if (message == NULL)
    return;

  self->state_handler = g_signal_connect_object (message, "notify::state",
                                                 G_CALLBACK (on_message_notify_state),
                                                 self, G_CONNECT_SWAPPED);
  self->conversation_handler = g_signal_connect_object (message, "notify",
                                                        G_CALLBACK (on_message_notify_conversation),
                                                        self, G_CONNECT_SWAPPED);

  system = cr_message_is_system (message);
  own = cr_message_get_own (message);
  sender = cr_message_get_sender (message);
  if (sender == NULL)
    sender = "";
  owner = !system &&
          (cr_message_get_kind (message) == CR_EVENT_OWNER_CHAT ||
           (owner_name != NULL && g_strcmp0 (owner_name, sender) == 0));

  self->grouped = !system && is_chat (previous) &&
                  g_strcmp0 (cr_message_get_sender (previous), sender) == 0 &&
                  cr_message_get_time (message) - cr_message_get_time (previous) <
                  GROUP_WINDOW_US &&
                  cr_message_get_time (message) >= cr_message_get_time (previous);

  /* An announcement is the owner speaking to everyone: it stands out,
   * not greyed like a join line. Each is a no-op when the class is
   * already as asked. */
  announcement = cr_message_get_kind (message) == CR_EVENT_ANNOUNCE;
  set_class (self, "system", system && !announcement);
  set_class (self, "announcement", announcement);
  set_class (self, "own", own && !system);
  set_class (self, "owner", owner);
  set_class (self, "grouped", self->grouped);
  set_class (self, "recalled", cr_message_get_recalled (message));

  if (message != self->displayed)
    {
      g_autofree char *display = cr_message_dup_display (message);

      g_set_object (&self->displayed, message);
      self->shown_state = -1;

      gtk_label_set_text (self->text_label, display ? display : "");
      gtk_label_set_xalign (self->text_label, system && !announcement ? 0.5f : 0.0f);
      gtk_label_set_justify (self->text_label, system && !announcement ? GTK_JUSTIFY_CENTER
                                                                       : GTK_JUSTIFY_LEFT);
      gtk_label_set_text (self->time_label, format_short_time (cr_message_get_time (message)));

      if (own)
        {
          /* Translators: the sender line of your own messages; %s is your nickname */
          g_autofree char *you = g_strdup_printf (_("%s (you)"), sender);
          gtk_label_set_text (self->sender_label, you);
        }
      else
        gtk_label_set_text (self->sender_label, sender);
    }

  gtk_widget_set_visible (self->owner_badge, owner);
  gtk_widget_set_visible (self->header_box, !system && !self->grouped);

  update_quote (self);
  update_state (self);
}

/* The message changed under the row (recalled, its quote filled in): its
 * text again. */
static void
update_text (CrMessageRow *self)
{
  g_autofree char *display = NULL;

  if (self->message == NULL || self->message != self->displayed)
    return;

  display = cr_message_dup_display (self->message);
  if (g_strcmp0 (display, gtk_label_get_text (self->text_label)) != 0)
    gtk_label_set_text (self->text_label, display != NULL ? display : "");
  set_class (self, "recalled", cr_message_get_recalled (self->message));
}

static void
ensure_burst_widgets (CrMessageRow *self)
{
  GtkWidget *box;

  if (self->burst_button != NULL)
    return;

  self->burst_label = GTK_LABEL (gtk_label_new (NULL));
  gtk_label_set_wrap (self->burst_label, TRUE);
  self->burst_arrow = GTK_IMAGE (g_object_new (GTK_TYPE_IMAGE,
                                               "accessible-role", GTK_ACCESSIBLE_ROLE_PRESENTATION,
                                               NULL));
  box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 4);
  gtk_widget_set_halign (box, GTK_ALIGN_CENTER);
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (self->burst_label));
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (self->burst_arrow));

  self->burst_button = gtk_button_new ();
  gtk_button_set_child (GTK_BUTTON (self->burst_button), box);
  gtk_widget_set_halign (self->burst_button, GTK_ALIGN_CENTER);
  gtk_widget_add_css_class (self->burst_button, "flat");
  gtk_widget_add_css_class (self->burst_button, "burst");
  gtk_actionable_set_action_target (GTK_ACTIONABLE (self->burst_button), "t", (guint64) 0);
  gtk_actionable_set_action_name (GTK_ACTIONABLE (self->burst_button), "chat.toggle-burst");
  gtk_box_prepend (GTK_BOX (self), self->burst_button);
}

void
cr_message_row_set_burst (CrMessageRow *self,
                          const char   *summary,
                          gboolean      expanded,
                          guint64       seq)
{
  gboolean system;

  g_return_if_fail (CR_IS_MESSAGE_ROW (self));

  system = self->message != NULL && cr_message_is_system (self->message);

  if (summary == NULL)
    {
      if (self->burst_button != NULL)
        gtk_widget_set_visible (self->burst_button, FALSE);
      gtk_widget_set_visible (self->body_box, TRUE);
      return;
    }

  ensure_burst_widgets (self);
  gtk_label_set_text (self->burst_label, summary);
  gtk_image_set_from_icon_name (self->burst_arrow,
                                expanded ? "pan-up-symbolic" : "pan-down-symbolic");
  gtk_widget_set_tooltip_text (self->burst_button,
                               expanded ? _("Hide these lines") : _("Show these lines"));
  gtk_actionable_set_action_target (GTK_ACTIONABLE (self->burst_button), "t", seq);
  gtk_widget_set_visible (self->burst_button, TRUE);
  /* Folded, the summary stands for the line. */
  gtk_widget_set_visible (self->body_box, expanded || !system);
}

const char *
cr_message_row_get_burst (CrMessageRow *self)
{
  g_return_val_if_fail (CR_IS_MESSAGE_ROW (self), NULL);

  if (self->burst_button == NULL || !gtk_widget_get_visible (self->burst_button))
    return NULL;
  return gtk_label_get_text (self->burst_label);
}

CrMessage *
cr_message_row_get_message (CrMessageRow *self)
{
  g_return_val_if_fail (CR_IS_MESSAGE_ROW (self), NULL);

  return self->message;
}

gboolean
cr_message_row_get_grouped (CrMessageRow *self)
{
  g_return_val_if_fail (CR_IS_MESSAGE_ROW (self), FALSE);

  return self->grouped;
}

void
cr_message_row_set_mention (CrMessageRow *self,
                            gboolean      mention)
{
  g_return_if_fail (CR_IS_MESSAGE_ROW (self));

  set_class (self, "mention", mention);
}

void
cr_message_row_set_highlight (CrMessageRow *self,
                              gboolean      highlight)
{
  g_return_if_fail (CR_IS_MESSAGE_ROW (self));

  set_class (self, "highlight", highlight);
}

const char *
cr_message_row_get_quote (CrMessageRow *self)
{
  g_return_val_if_fail (CR_IS_MESSAGE_ROW (self), NULL);

  if (self->quote_button == NULL || !gtk_widget_get_visible (self->quote_button))
    return NULL;
  return gtk_label_get_text (self->quote_label);
}
