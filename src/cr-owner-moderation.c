/* cr-owner-moderation.c: the owner view's class controls (issue 15)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The switch and the pin show the room's state as it is (its events), not
 * what was asked: a refusal puts them back. Setting them from the room's
 * state must not ask the room again, hence the "updating" guard.
 */
#define G_LOG_DOMAIN "cr-owner-moderation"

#include "config.h"

#include <glib/gi18n.h>

#include "cr-render.h"
#include "cr-owner-moderation.h"

struct _CrOwnerModeration
{
  AdwBin        parent_instance;

  /* template widgets */
  GtkSwitch    *mute_all_switch;
  AdwEntryRow  *pin_row;
  GtkButton    *unpin_button;

  /* owned */
  CrServer     *server;
  GSignalGroup *server_signals;
  gboolean      updating;
};

G_DEFINE_FINAL_TYPE (CrOwnerModeration, cr_owner_moderation, ADW_TYPE_BIN)

enum {
  PROP_0,
  PROP_SERVER,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static gboolean
running (CrOwnerModeration *self)
{
  return self->server != NULL && cr_server_get_running (self->server);
}

static void
show_state (CrOwnerModeration *self)
{
  g_autofree char *pin = running (self) ? cr_server_dup_pin (self->server) : NULL;
  gboolean mute_all = running (self) && cr_server_get_mute_all (self->server);

  self->updating = TRUE;
  gtk_switch_set_active (self->mute_all_switch, mute_all);
  gtk_switch_set_state (self->mute_all_switch, mute_all);
  if (g_strcmp0 (gtk_editable_get_text (GTK_EDITABLE (self->pin_row)), pin != NULL ? pin : "") != 0)
    {
      /* Set by the room, not typed: no apply button for it. */
      adw_entry_row_set_show_apply_button (self->pin_row, FALSE);
      gtk_editable_set_text (GTK_EDITABLE (self->pin_row), pin != NULL ? pin : "");
      adw_entry_row_set_show_apply_button (self->pin_row, TRUE);
    }
  gtk_widget_set_sensitive (GTK_WIDGET (self), running (self));
  gtk_widget_set_visible (GTK_WIDGET (self->unpin_button), pin != NULL);
  self->updating = FALSE;
}

static void
report (CrOwnerModeration *self,
        const GError      *error)
{
  g_autofree char *text = NULL;
  GtkWidget *overlay;

  if (error->domain == CR_SERVER_ERROR &&
      error->code > CR_REASON_NONE && error->code <= CR_REASON_LAST)
    text = cr_render_reason ((CrReason) error->code, NULL);
  else
    text = g_strdup (error->message);
  overlay = gtk_widget_get_ancestor (GTK_WIDGET (self), ADW_TYPE_TOAST_OVERLAY);
  if (overlay != NULL)
    adw_toast_overlay_add_toast (ADW_TOAST_OVERLAY (overlay), adw_toast_new (text));
  else
    g_message ("%s", text);
}

static void
moderate (CrOwnerModeration *self,
          CrManageAction     action,
          const char        *argument)
{
  g_autoptr(GError) error = NULL;

  if (!running (self))
    return;
  if (!cr_server_moderate (self->server, action, argument, 0, &error) &&
      !g_error_matches (error, CR_SERVER_ERROR, CR_REASON_NO_CHANGE))
    report (self, error);
  show_state (self);
}

static gboolean
on_mute_all_state_set (CrOwnerModeration *self,
                       gboolean           state)
{
  if (!self->updating)
    moderate (self, state ? CR_MANAGE_MUTE_ALL : CR_MANAGE_UNMUTE_ALL, NULL);
  return TRUE;   /* show_state set the state the room is in */
}

static void
on_pin_row_apply (CrOwnerModeration *self)
{
  g_autofree char *text = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->pin_row))));

  moderate (self, CR_MANAGE_PIN, text);
}

static void
on_unpin_clicked (CrOwnerModeration *self)
{
  moderate (self, CR_MANAGE_PIN, "");
}

static void
on_server_event (CrOwnerModeration *self,
                 const CrEvent     *event)
{
  if (event->kind == CR_EVENT_MUTE_ALL || event->kind == CR_EVENT_UNMUTE_ALL ||
      event->kind == CR_EVENT_PIN || event->kind == CR_EVENT_UNPIN)
    show_state (self);
}

static void
cr_owner_moderation_dispose (GObject *object)
{
  CrOwnerModeration *self = CR_OWNER_MODERATION (object);

  if (self->server_signals != NULL)
    g_signal_group_set_target (self->server_signals, NULL);
  g_clear_object (&self->server_signals);
  g_clear_object (&self->server);

  G_OBJECT_CLASS (cr_owner_moderation_parent_class)->dispose (object);
}

static void
cr_owner_moderation_get_property (GObject    *object,
                                  guint       prop_id,
                                  GValue     *value,
                                  GParamSpec *pspec)
{
  CrOwnerModeration *self = CR_OWNER_MODERATION (object);

  switch (prop_id)
    {
    case PROP_SERVER:
      g_value_set_object (value, self->server);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
cr_owner_moderation_set_property (GObject      *object,
                                  guint         prop_id,
                                  const GValue *value,
                                  GParamSpec   *pspec)
{
  CrOwnerModeration *self = CR_OWNER_MODERATION (object);

  switch (prop_id)
    {
    case PROP_SERVER:
      cr_owner_moderation_set_server (self, g_value_get_object (value));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
cr_owner_moderation_class_init (CrOwnerModerationClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = cr_owner_moderation_dispose;
  object_class->get_property = cr_owner_moderation_get_property;
  object_class->set_property = cr_owner_moderation_set_property;

  properties[PROP_SERVER] =
    g_param_spec_object ("server", NULL, NULL, CR_TYPE_SERVER,
                         (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_template_from_resource (
    widget_class, "/io/github/chatroom/ChatRoom/cr-owner-moderation.ui");
  gtk_widget_class_bind_template_child (widget_class, CrOwnerModeration, mute_all_switch);
  gtk_widget_class_bind_template_child (widget_class, CrOwnerModeration, pin_row);
  gtk_widget_class_bind_template_child (widget_class, CrOwnerModeration, unpin_button);
  gtk_widget_class_bind_template_callback (widget_class, on_mute_all_state_set);
  gtk_widget_class_bind_template_callback (widget_class, on_pin_row_apply);
  gtk_widget_class_bind_template_callback (widget_class, on_unpin_clicked);
}

static void
cr_owner_moderation_init (CrOwnerModeration *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  self->server_signals = g_signal_group_new (CR_TYPE_SERVER);
  g_signal_group_connect_object (self->server_signals, "event",
                                 G_CALLBACK (on_server_event), self, G_CONNECT_SWAPPED);
  g_signal_group_connect_object (self->server_signals, "notify::running",
                                 G_CALLBACK (show_state), self, G_CONNECT_SWAPPED);
  show_state (self);
}

CrServer *
cr_owner_moderation_get_server (CrOwnerModeration *self)
{
  g_return_val_if_fail (CR_IS_OWNER_MODERATION (self), NULL);

  return self->server;
}

void
cr_owner_moderation_set_server (CrOwnerModeration *self,
                                CrServer          *server)
{
  g_return_if_fail (CR_IS_OWNER_MODERATION (self));
  g_return_if_fail (server == NULL || CR_IS_SERVER (server));

  if (!g_set_object (&self->server, server))
    return;
  g_signal_group_set_target (self->server_signals, server);
  show_state (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SERVER]);
}
