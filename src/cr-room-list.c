/* cr-room-list.c: the rooms found on the LAN, live, for the login view
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A list box bound to a CrRoomBrowser (src/core/cr-room-browser.h): the
 * browser keeps its rooms in order and changes them in place, each row
 * follows its room's notifications. The browser looks only while the list
 * is on screen. An empty list says why it may be empty instead of spinning:
 * no network, a firewall (which UDP port), broadcasts dropped; and offers
 * the way out, an extra place to look, kept in the "extra-places" setting.
 */
#define G_LOG_DOMAIN "cr-room-list"

#include "config.h"

#include <glib/gi18n.h>

#include "cr-types.h"

#include "cr-room-list.h"

#define EXTRA_PLACES_MAX 16

struct _CrRoomList
{
  AdwBin          parent_instance;

  /* template widgets */
  GtkListBox     *list_box;
  AdwEntryRow    *place_row;
  GtkListBox     *places_box;

  /* owned */
  CrRoomBrowser  *browser;
  GSettings      *settings;
  GtkStringList  *places;      /* the setting, for places_box */
  GtkLabel       *placeholder;
};

G_DEFINE_FINAL_TYPE (CrRoomList, cr_room_list, ADW_TYPE_BIN)

enum {
  ROOM_ACTIVATED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

/* Rows */

static void
update_row (AdwActionRow *row)
{
  CrFoundRoom *room = g_object_get_data (G_OBJECT (row), "cr-room");
  GtkWidget *lock = g_object_get_data (G_OBJECT (row), "cr-lock");
  guint members = cr_found_room_get_members (room);
  const char *owner = cr_found_room_get_owner (room);
  const char *iface = cr_found_room_get_interface (room);
  g_autofree char *title = g_markup_escape_text (cr_found_room_get_name (room), -1);
  g_autofree char *who = NULL;
  g_autofree char *where = NULL;
  g_autofree char *subtitle = NULL;

  if (owner[0] != '\0')
    /* Translators: %s is the owner's name, %u how many are in the room */
    who = g_strdup_printf (ngettext ("%s’s room · %u member", "%s’s room · %u members",
                                     members), owner, members);
  else
    /* Translators: %u is how many are in the room */
    who = g_strdup_printf (ngettext ("%u member", "%u members", members), members);
  if (iface[0] != '\0')
    /* Translators: %s is a room's address (192.168.1.5:10024), then the
     * network interface it was found on (eth0, wlan0) */
    where = g_strdup_printf (_("%s on %s"), cr_found_room_get_address (room), iface);
  else
    where = g_strdup (cr_found_room_get_address (room));
  subtitle = g_markup_printf_escaped ("%s\n%s", who, where);

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  adw_action_row_set_subtitle (row, subtitle);
  gtk_widget_set_visible (lock, cr_found_room_get_registration (room));
}

static void
on_room_notify (CrFoundRoom  *room,
                GParamSpec   *pspec,
                AdwActionRow *row)
{
  update_row (row);
}

static GtkWidget *
create_room_row (gpointer item,
                 gpointer user_data)
{
  CrFoundRoom *room = item;
  GtkWidget *row = adw_action_row_new ();
  GtkWidget *lock = gtk_image_new_from_icon_name ("system-lock-screen-symbolic");
  GtkWidget *arrow = gtk_image_new_from_icon_name ("go-next-symbolic");

  gtk_widget_set_tooltip_text (lock, _("Only registered members can join"));
  gtk_accessible_update_property (GTK_ACCESSIBLE (lock), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Only registered members can join"), -1);
  adw_action_row_add_prefix (ADW_ACTION_ROW (row), lock);
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), arrow);
  gtk_list_box_row_set_activatable (GTK_LIST_BOX_ROW (row), TRUE);
  adw_action_row_set_subtitle_lines (ADW_ACTION_ROW (row), 2);
  g_object_set_data_full (G_OBJECT (row), "cr-room", g_object_ref (room), g_object_unref);
  g_object_set_data (G_OBJECT (row), "cr-lock", lock);
  update_row (ADW_ACTION_ROW (row));
  g_signal_connect_object (room, "notify", G_CALLBACK (on_room_notify), row, 0);
  return row;
}

static void
on_row_activated (CrRoomList    *self,
                  GtkListBoxRow *row)
{
  CrFoundRoom *room = g_object_get_data (G_OBJECT (row), "cr-room");

  if (room != NULL)
    g_signal_emit (self, signals[ROOM_ACTIVATED], 0, cr_found_room_get_address (room));
}

/* Extra places */

static void
set_places (CrRoomList         *self,
            const char * const *places)
{
  if (self->settings != NULL)
    g_settings_set_strv (self->settings, "extra-places", places);
  else
    cr_room_browser_set_extra_places (self->browser, places);
}

static void
on_forget_clicked (GtkButton  *button,
                   CrRoomList *self)
{
  const char *place = g_object_get_data (G_OBJECT (button), "cr-place");
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  const char * const *current = cr_room_browser_get_extra_places (self->browser);
  g_auto(GStrv) places = NULL;

  for (guint i = 0; current[i] != NULL; i++)
    if (g_strcmp0 (current[i], place) != 0)
      g_strv_builder_add (builder, current[i]);
  places = g_strv_builder_end (builder);
  set_places (self, (const char * const *) places);
}

static GtkWidget *
create_place_row (gpointer item,
                  gpointer user_data)
{
  CrRoomList *self = user_data;
  const char *place = gtk_string_object_get_string (item);
  GtkWidget *row = adw_action_row_new ();
  GtkWidget *forget = gtk_button_new_from_icon_name ("user-trash-symbolic");
  g_autofree char *title = g_markup_escape_text (place, -1);

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  /* Translators: under an extra place to look for rooms (a host or subnet) */
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), _("Asked directly"));
  gtk_widget_set_valign (forget, GTK_ALIGN_CENTER);
  gtk_widget_add_css_class (forget, "flat");
  gtk_widget_set_tooltip_text (forget, _("Stop looking here"));
  g_object_set_data_full (G_OBJECT (forget), "cr-place", g_strdup (place), g_free);
  g_signal_connect (forget, "clicked", G_CALLBACK (on_forget_clicked), self);
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), forget);
  return row;
}

static void
on_browser_places (CrRoomList *self)
{
  const char * const *places = cr_room_browser_get_extra_places (self->browser);

  gtk_string_list_splice (self->places, 0,
                          g_list_model_get_n_items (G_LIST_MODEL (self->places)), places);
  gtk_widget_set_visible (GTK_WIDGET (self->places_box), places[0] != NULL);
}

static void
on_place_apply (CrRoomList *self)
{
  const char *text = gtk_editable_get_text (GTK_EDITABLE (self->place_row));
  g_autofree char *place = g_strstrip (g_strdup (text));
  const char * const *current = cr_room_browser_get_extra_places (self->browser);
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  g_auto(GStrv) places = NULL;
  guint n = 0;

  if (!cr_room_browser_place_is_valid (place))
    {
      gtk_widget_add_css_class (GTK_WIDGET (self->place_row), "error");
      return;
    }
  gtk_widget_remove_css_class (GTK_WIDGET (self->place_row), "error");
  for (guint i = 0; current[i] != NULL; i++)
    if (g_strcmp0 (current[i], place) != 0)
      {
        g_strv_builder_add (builder, current[i]);
        n++;
      }
  if (n >= EXTRA_PLACES_MAX)
    return;
  g_strv_builder_add (builder, place);
  places = g_strv_builder_end (builder);
  set_places (self, (const char * const *) places);
  gtk_editable_set_text (GTK_EDITABLE (self->place_row), "");
}

/* Looking only while shown */

static void
update_placeholder (CrRoomList *self)
{
  g_autofree char *text = NULL;

  if (!g_network_monitor_get_network_available (g_network_monitor_get_default ()))
    text = g_strdup (_("This computer is not connected to a network. You can still type the "
                       "address of a room on this computer."));
  else
    /* Translators: %u is a UDP port number */
    text = g_strdup_printf (_("No room has answered yet. Rooms on your networks show up here "
                              "by themselves. If one is missing, its computer’s firewall may "
                              "block UDP port %u, or the network may drop broadcasts: type its "
                              "address above, or add its host or subnet below."),
                            CR_DEFAULT_PORT);
  gtk_label_set_text (self->placeholder, text);
}

static void
cr_room_list_map (GtkWidget *widget)
{
  CrRoomList *self = CR_ROOM_LIST (widget);
  g_autoptr(GError) error = NULL;

  GTK_WIDGET_CLASS (cr_room_list_parent_class)->map (widget);

  update_placeholder (self);
  if (!cr_room_browser_start (self->browser, &error))
    g_warning ("Cannot look for rooms: %s", error->message);
}

static void
cr_room_list_unmap (GtkWidget *widget)
{
  CrRoomList *self = CR_ROOM_LIST (widget);

  cr_room_browser_stop (self->browser);

  GTK_WIDGET_CLASS (cr_room_list_parent_class)->unmap (widget);
}

/* GObject */

static void
cr_room_list_dispose (GObject *object)
{
  CrRoomList *self = CR_ROOM_LIST (object);

  if (self->browser != NULL)
    cr_room_browser_stop (self->browser);
  g_clear_object (&self->settings);
  g_clear_object (&self->browser);
  g_clear_object (&self->places);

  G_OBJECT_CLASS (cr_room_list_parent_class)->dispose (object);
}

static void
cr_room_list_class_init (CrRoomListClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = cr_room_list_dispose;
  widget_class->map = cr_room_list_map;
  widget_class->unmap = cr_room_list_unmap;

  /* (const char *address) */
  signals[ROOM_ACTIVATED] =
    g_signal_new ("room-activated", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/chatroom/ChatRoom/cr-room-list.ui");
  gtk_widget_class_bind_template_child (widget_class, CrRoomList, list_box);
  gtk_widget_class_bind_template_child (widget_class, CrRoomList, place_row);
  gtk_widget_class_bind_template_child (widget_class, CrRoomList, places_box);
  gtk_widget_class_bind_template_callback (widget_class, on_row_activated);
  gtk_widget_class_bind_template_callback (widget_class, on_place_apply);
}

static void
cr_room_list_init (CrRoomList *self)
{
  GSettingsSchemaSource *source = g_settings_schema_source_get_default ();
  g_autoptr(GSettingsSchema) schema = NULL;

  gtk_widget_init_template (GTK_WIDGET (self));

  self->browser = cr_room_browser_new ();
  if (g_strcmp0 (g_getenv ("CHATROOM_DISCOVERY_NO_LAN"), "1") == 0)
    cr_room_browser_set_methods (self->browser, CR_BROWSE_EXTRA);
  self->places = gtk_string_list_new (NULL);

  self->placeholder = GTK_LABEL (gtk_label_new (NULL));
  gtk_label_set_wrap (self->placeholder, TRUE);
  gtk_label_set_justify (self->placeholder, GTK_JUSTIFY_CENTER);
  gtk_widget_set_margin_top (GTK_WIDGET (self->placeholder), 18);
  gtk_widget_set_margin_bottom (GTK_WIDGET (self->placeholder), 18);
  gtk_widget_set_margin_start (GTK_WIDGET (self->placeholder), 12);
  gtk_widget_set_margin_end (GTK_WIDGET (self->placeholder), 12);
  gtk_widget_add_css_class (GTK_WIDGET (self->placeholder), "dim-label");
  gtk_list_box_set_placeholder (self->list_box, GTK_WIDGET (self->placeholder));
  update_placeholder (self);

  gtk_list_box_bind_model (self->list_box, G_LIST_MODEL (self->browser),
                           create_room_row, self, NULL);
  gtk_list_box_bind_model (self->places_box, G_LIST_MODEL (self->places),
                           create_place_row, self, NULL);
  g_signal_connect_object (self->browser, "notify::extra-places",
                           G_CALLBACK (on_browser_places), self, G_CONNECT_SWAPPED);

  if (source != NULL)
    schema = g_settings_schema_source_lookup (source, APP_ID, TRUE);
  if (schema != NULL)
    {
      self->settings = g_settings_new (APP_ID);
      g_settings_bind (self->settings, "extra-places", self->browser, "extra-places",
                       G_SETTINGS_BIND_GET);
    }
}

/* Public API */

GtkWidget *
cr_room_list_new (void)
{
  return g_object_new (CR_TYPE_ROOM_LIST, NULL);
}

CrRoomBrowser *
cr_room_list_get_browser (CrRoomList *self)
{
  g_return_val_if_fail (CR_IS_ROOM_LIST (self), NULL);
  return self->browser;
}
