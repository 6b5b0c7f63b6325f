/* test-owner-page.c: the owner view alone, against a real room on loopback
 *
 * Copyright 2026 The Chat Room authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A CrServer on 127.0.0.1 in the test, its live settings bound as the
 * session binds a hosted room's (cr_session_bind_server_settings),
 * CrClients joining it, and a CrOwnerPage in a window, driven through its
 * actions the way the keyboard does. Every wait is bounded.
 *
 * Also: 200 real members (issue 16, point 11), classic members from a raw
 * socket, rooms on a broken or vanishing database and a locked name
 * (issue 10), and the same owner tools through chatroomd's console. With
 * CR_SCREENSHOT_DIR set, the 200-member case saves the screenshots.
 */
#define G_LOG_DOMAIN "test-owner-page"

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include <adwaita.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <sqlite3.h>

#include "cr-client.h"
#include "cr-file-client.h"
#include "cr-render.h"
#include "cr-server.h"
#include "cr-server-addresses.h"
#include "cr-server-private.h"
#include "cr-session.h"
#include "cr-store.h"
#include "cr-test-utils.h"
#include "cr-test-ui.h"
#include "cr-owner-member-row.h"
#include "cr-owner-paced-list.h"
#include "cr-owner-page.h"
#include "cr-owner-moderation.h"

#define WAIT_MS 5000

typedef struct {
  GSettings   *settings;
  CrServer    *server;
  char        *address;
  GtkWindow   *window;
  CrOwnerPage *page;
} Fixture;

/* --- finding things on screen ------------------------------------------- */

/* The room name's row, on the room's tab (the members' tab has an entry
 * row of its own: the pinned announcement). */
static gboolean
is_room_name_row (GtkWidget     *widget,
                  gconstpointer  data)
{
  return ADW_IS_ENTRY_ROW (widget) &&
         g_strcmp0 (adw_preferences_row_get_title (ADW_PREFERENCES_ROW (widget)),
                    _("Room name")) == 0;
}

static GtkWidget *
find_room_name_row (GtkWidget *widget)
{
  return cr_test_ui_find (widget, is_room_name_row, NULL);
}

static CrOwnerMemberRow *
find_row (GtkWidget  *widget,
          const char *name)
{
  if (CR_IS_OWNER_MEMBER_ROW (widget))
    {
      CrMember *member = cr_owner_member_row_get_member (CR_OWNER_MEMBER_ROW (widget));

      return g_strcmp0 (cr_member_get_name (member), name) == 0 ? CR_OWNER_MEMBER_ROW (widget)
                                                                 : NULL;
    }

  for (GtkWidget *child = gtk_widget_get_first_child (widget);
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      CrOwnerMemberRow *found = find_row (child, name);

      if (found != NULL)
        return found;
    }
  return NULL;
}

static CrOwnerMemberRow *
row_of (Fixture    *fixture,
        const char *name)
{
  return find_row (GTK_WIDGET (fixture->page), name);
}

/* A banned name's Unban button, in the "Banned" group. */
static GtkWidget *
find_unban_button (GtkWidget  *widget,
                   const char *name)
{
  if (GTK_IS_BUTTON (widget) &&
      g_strcmp0 (gtk_actionable_get_action_name (GTK_ACTIONABLE (widget)), "owner.unban") == 0)
    {
      GVariant *target = gtk_actionable_get_action_target_value (GTK_ACTIONABLE (widget));

      if (target != NULL && g_str_equal (g_variant_get_string (target, NULL), name))
        return widget;
      return NULL;
    }

  for (GtkWidget *child = gtk_widget_get_first_child (widget);
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_unban_button (child, name);

      if (found != NULL)
        return found;
    }
  return NULL;
}

/* The owner's member actions, as the row menus and the keyboard use them. */
static gboolean
activate (Fixture    *fixture,
          const char *action,
          const char *name)
{
  return gtk_widget_activate_action (GTK_WIDGET (fixture->page), action, "s", name);
}

/* --- conditions ---------------------------------------------------------- */

typedef struct {
  Fixture    *fixture;
  const char *name;
} RowCond;

static gboolean
row_present (gpointer data)
{
  RowCond *c = data;

  return row_of (c->fixture, c->name) != NULL;
}

static gboolean
row_absent (gpointer data)
{
  return !row_present (data);
}

static gboolean
row_has_address (gpointer data)
{
  RowCond *c = data;
  CrOwnerMemberRow *row = row_of (c->fixture, c->name);
  g_autofree char *details = row ? cr_owner_member_row_dup_details (row) : NULL;

  return details != NULL && strstr (details, "127.0.0.1:") != NULL;
}

static gboolean
row_muted (gpointer data)
{
  RowCond *c = data;
  CrOwnerMemberRow *row = row_of (c->fixture, c->name);

  return row != NULL && cr_member_get_muted (cr_owner_member_row_get_member (row));
}

/* Listed as banned, and on screen: the group is shown. */
static gboolean
ban_listed (gpointer data)
{
  RowCond *c = data;
  GtkWidget *button = find_unban_button (GTK_WIDGET (c->fixture->page), c->name);

  return button != NULL && gtk_widget_is_visible (button);
}

static gboolean
ban_unlisted (gpointer data)
{
  RowCond *c = data;

  return find_unban_button (GTK_WIDGET (c->fixture->page), c->name) == NULL;
}

static gboolean
client_closed (gpointer data)
{
  return cr_client_get_state (CR_CLIENT (data)) == CR_CLIENT_CLOSED;
}

static gboolean
dialog_shown (gpointer data)
{
  return cr_test_ui_find_dialog (NULL) != NULL;
}

typedef struct {
  CrClient    *client;
  CrEventKind  kind;
  const char  *text;
} MessageCond;

static gboolean
message_arrived (gpointer data)
{
  MessageCond *c = data;
  GListModel *messages = cr_client_get_messages (c->client);

  for (guint i = 0; i < g_list_model_get_n_items (messages); i++)
    {
      g_autoptr(CrMessage) message = g_list_model_get_item (messages, i);

      if (cr_message_get_kind (message) == c->kind &&
          g_strcmp0 (cr_message_get_text (message), c->text) == 0)
        return TRUE;
    }
  return FALSE;
}

typedef struct {
  GtkWidget  *widget;
  const char *text;
} LabelCond;

static gboolean
label_shown (gpointer data)
{
  LabelCond *c = data;

  return cr_test_ui_has_label (c->widget, c->text);
}

/* A toast reads text. libadwaita shows one toast at a time, each for its
 * 4 s (cr-owner-page.c): the user closes one already there with its ×
 * (libadwaita 1.2's toast widget: a window-close-symbolic button) rather
 * than waiting it out, so the next is seen at once. */
static gboolean
toast_shown (gpointer data)
{
  LabelCond *c = data;
  static GtkWidget *closed = NULL;
  GtkWidget *close;

  if (cr_test_ui_has_label (c->widget, c->text))
    return TRUE;
  close = cr_test_ui_find_icon_button (c->widget, "window-close-symbolic");
  /* Once each: a closed toast stays on screen while it fades. */
  if (close != NULL && close != closed && gtk_widget_get_mapped (close))
    {
      closed = close;
      gtk_widget_activate (close);
    }
  return FALSE;
}

/* --- fixture ------------------------------------------------------------- */

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  fixture->settings = g_settings_new ("io.github.chatroom.ChatRoom");
  g_settings_set_string (fixture->settings, "room-name", "Test room");
  fixture->server = cr_server_new (NULL, NULL);
  g_object_set (fixture->server, "owner-name", "teacher", NULL);
  /* data: a room bigger than the default, through the setting the
   * room's limit is bound to (cr-session-settings.c) */
  if (data != NULL)
    g_settings_set_uint (fixture->settings, "max-members", GPOINTER_TO_UINT (data));
  cr_session_bind_server_settings (fixture->settings, fixture->server);
  g_assert_true (cr_server_start (fixture->server, "127.0.0.1:0", &error));
  g_assert_no_error (error);
  fixture->address = cr_test_address ("127.0.0.1", cr_server_get_port (fixture->server));

  fixture->window = GTK_WINDOW (gtk_window_new ());
  gtk_window_set_default_size (fixture->window, 420, 700);
  fixture->page = CR_OWNER_PAGE (cr_owner_page_new ());
  gtk_window_set_child (fixture->window, GTK_WIDGET (fixture->page));
  cr_owner_page_set_server (fixture->page, fixture->server);
  gtk_window_present (fixture->window);
  cr_test_run_for (100);
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  data)
{
  AdwMessageDialog *dialog;

  while ((dialog = cr_test_ui_find_dialog (NULL)) != NULL)
    gtk_window_destroy (GTK_WINDOW (dialog));
  gtk_window_destroy (fixture->window);
  cr_server_stop (fixture->server);
  cr_test_wait_until (NULL, NULL, 300);
  g_clear_object (&fixture->server);
  g_clear_pointer (&fixture->address, g_free);
  g_settings_reset (fixture->settings, "room-name");
  g_settings_reset (fixture->settings, "max-members");
  g_clear_object (&fixture->settings);
}

/* --- tests --------------------------------------------------------------- */

static void
test_members (Fixture       *fixture,
              gconstpointer  data)
{
  g_autoptr(CrClient) alice = cr_test_join (fixture->address, "alice", NULL, FALSE, WAIT_MS, NULL);
  g_autoptr(CrClient) bob = cr_test_join (fixture->address, "bob", NULL, FALSE, WAIT_MS, NULL);
  RowCond has_alice = { fixture, "alice" };
  RowCond has_bob = { fixture, "bob" };
  LabelCond address = { GTK_WIDGET (fixture->page), fixture->address };
  CrOwnerMemberRow *alice_row;
  g_autofree char *subtitle = NULL;

  cr_test_assert_wait (row_present, &has_alice, WAIT_MS);
  cr_test_assert_wait (row_present, &has_bob, WAIT_MS);
  /* The status line tells the address others type. */
  cr_test_assert_wait (label_shown, &address, WAIT_MS);

  /* A row says where the member is (known just after the join) and that
   * they are a guest. */
  cr_test_assert_wait (row_has_address, &has_alice, WAIT_MS);
  alice_row = row_of (fixture, "alice");
  subtitle = cr_owner_member_row_dup_details (alice_row);
  g_assert_nonnull (subtitle);
  g_assert_nonnull (strstr (subtitle, "127.0.0.1:"));
  g_assert_nonnull (strstr (subtitle, C_("member", "Guest")));

  /* Rows live through others joining and leaving: a menu open on one stays. */
  cr_test_leave_and_free (g_steal_pointer (&bob));
  cr_test_assert_wait (row_absent, &has_bob, WAIT_MS);
  g_assert_true (row_of (fixture, "alice") == alice_row);

  cr_test_leave_and_free (g_steal_pointer (&alice));
  cr_test_assert_wait (row_absent, &has_alice, WAIT_MS);
}

static void
test_mute_and_kick (Fixture       *fixture,
                    gconstpointer  data)
{
  g_autoptr(CrClient) alice = cr_test_join (fixture->address, "alice", NULL, FALSE, WAIT_MS, NULL);
  g_autoptr(CrClient) bob = cr_test_join (fixture->address, "bob", NULL, FALSE, WAIT_MS, NULL);
  RowCond has_alice = { fixture, "alice" };
  RowCond has_bob = { fixture, "bob" };
  g_autofree char *removed = NULL;

  cr_test_assert_wait (row_present, &has_bob, WAIT_MS);

  g_assert_true (activate (fixture, "owner.mute", "alice"));
  cr_test_assert_wait (row_muted, &has_alice, WAIT_MS);

  g_assert_true (activate (fixture, "owner.kick", "bob"));
  cr_test_assert_wait (client_closed, bob, WAIT_MS);
  g_assert_cmpint (cr_client_get_close_reason (bob), ==, CR_REASON_KICKED);
  cr_test_assert_wait (row_absent, &has_bob, WAIT_MS);
  g_assert_nonnull (row_of (fixture, "alice"));

  cr_test_leave_and_free (g_steal_pointer (&alice));
}

static void
test_ban_asks_first (Fixture       *fixture,
                     gconstpointer  data)
{
  g_autoptr(CrClient) alice = cr_test_join (fixture->address, "alice", NULL, FALSE, WAIT_MS, NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(CrClient) again = NULL;
  RowCond has_alice = { fixture, "alice" };
  AdwMessageDialog *dialog;

  cr_test_assert_wait (row_present, &has_alice, WAIT_MS);

  /* Cancel keeps her. */
  g_assert_true (activate (fixture, "owner.ban", "alice"));
  cr_test_assert_wait (dialog_shown, NULL, WAIT_MS);
  dialog = cr_test_ui_find_dialog (NULL);
  adw_message_dialog_response (dialog, "cancel");
  gtk_window_destroy (GTK_WINDOW (dialog));
  cr_test_run_for (300);
  g_assert_cmpint (cr_client_get_state (alice), ==, CR_CLIENT_CONNECTED);

  /* Ban removes her, and she cannot come back under that name. */
  g_assert_true (activate (fixture, "owner.ban", "alice"));
  cr_test_assert_wait (dialog_shown, NULL, WAIT_MS);
  dialog = cr_test_ui_find_dialog (NULL);
  adw_message_dialog_response (dialog, "ban");
  gtk_window_destroy (GTK_WINDOW (dialog));
  cr_test_assert_wait (client_closed, alice, WAIT_MS);
  g_assert_cmpint (cr_client_get_close_reason (alice), ==, CR_REASON_BANNED);
  cr_test_assert_wait (row_absent, &has_alice, WAIT_MS);

  again = cr_test_join (fixture->address, "alice", NULL, FALSE, WAIT_MS, &error);
  g_assert_error (error, CR_CLIENT_ERROR, CR_REASON_BANNED);
}

static void
test_unban (Fixture       *fixture,
            gconstpointer  data)
{
  g_autoptr(CrClient) alice = cr_test_join (fixture->address, "alice", NULL, FALSE, WAIT_MS, NULL);
  g_autoptr(CrClient) again = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *unbanned = g_strdup_printf (_("Unbanned %s"), "alice");
  g_auto(GStrv) bans = NULL;
  RowCond has_alice = { fixture, "alice" };
  LabelCond toast = { GTK_WIDGET (fixture->page), unbanned };
  AdwMessageDialog *dialog;
  GtkWidget *group;
  GtkWidget *button;

  cr_test_assert_wait (row_present, &has_alice, WAIT_MS);
  /* Nobody banned yet: no group. */
  g_assert_null (find_unban_button (GTK_WIDGET (fixture->page), "alice"));

  g_assert_true (activate (fixture, "owner.ban", "alice"));
  cr_test_assert_wait (dialog_shown, NULL, WAIT_MS);
  dialog = cr_test_ui_find_dialog (NULL);
  adw_message_dialog_response (dialog, "ban");
  gtk_window_destroy (GTK_WINDOW (dialog));
  cr_test_assert_wait (client_closed, alice, WAIT_MS);
  cr_test_assert_wait (row_absent, &has_alice, WAIT_MS);

  /* She is listed under "Banned", with a button to let her back. */
  cr_test_assert_wait (ban_listed, &has_alice, WAIT_MS);
  button = find_unban_button (GTK_WIDGET (fixture->page), "alice");
  group = gtk_widget_get_ancestor (button, ADW_TYPE_PREFERENCES_GROUP);
  g_assert_nonnull (group);
  g_assert_true (gtk_widget_get_visible (group));

  g_assert_true (activate (fixture, "owner.unban", "alice"));
  cr_test_assert_wait (ban_unlisted, &has_alice, WAIT_MS);
  cr_test_assert_wait (toast_shown, &toast, WAIT_MS);
  g_assert_false (gtk_widget_get_visible (group));
  bans = cr_server_dup_bans (fixture->server);
  g_assert_cmpuint (g_strv_length (bans), ==, 0);

  /* And she can come back under her name. */
  again = cr_test_join (fixture->address, "alice", NULL, FALSE, WAIT_MS, &error);
  g_assert_no_error (error);
  g_assert_nonnull (again);
  cr_test_assert_wait (row_present, &has_alice, WAIT_MS);
  cr_test_leave_and_free (g_steal_pointer (&again));

  /* Lifting a ban that is not there is refused, the page's usual way. */
  g_assert_true (activate (fixture, "owner.unban", "alice"));
  {
    g_autofree char *why = cr_render_reason (CR_REASON_NO_CHANGE, NULL);
    LabelCond refused = { GTK_WIDGET (fixture->page), why };

    cr_test_assert_wait (toast_shown, &refused, WAIT_MS);
  }
}

static void
test_refusal_is_shown (Fixture       *fixture,
                       gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *why = NULL;
  LabelCond shown = { GTK_WIDGET (fixture->page), NULL };

  /* What the server answers for a name that is not in the room… */
  g_assert_false (cr_server_kick (fixture->server, "nobody", &error));
  g_assert_error (error, CR_SERVER_ERROR, error->code);
  why = cr_render_reason ((CrReason) error->code, NULL);

  /* …is what the page shows, in the user's language. */
  g_assert_true (activate (fixture, "owner.kick", "nobody"));
  shown.text = why;
  cr_test_assert_wait (label_shown, &shown, WAIT_MS);
}

/* The owner chats in the chat's own composer: the page has no second
 * "Say"; what only it sends is an announcement, on Enter or the button. */
static void
test_announce (Fixture       *fixture,
               gconstpointer  data)
{
  g_autoptr(CrClient) alice = cr_test_join (fixture->address, "alice", NULL, FALSE, WAIT_MS, NULL);
  GtkWidget *entry = cr_test_ui_find_type (GTK_WIDGET (fixture->page), GTK_TYPE_ENTRY);
  MessageCond announced = { alice, CR_EVENT_ANNOUNCE, "class starts at 10:30" };
  MessageCond again = { alice, CR_EVENT_ANNOUNCE, "no lab today" };

  g_assert_nonnull (entry);
  g_assert_false (cr_test_ui_has_label (GTK_WIDGET (fixture->page), _("_Say")));
  g_assert_false (gtk_widget_activate_action (GTK_WIDGET (fixture->page), "owner.say", NULL));

  /* Enter in the entry announces, and empties the entry. */
  gtk_editable_set_text (GTK_EDITABLE (entry), announced.text);
  g_signal_emit_by_name (entry, "activate");
  cr_test_assert_wait (message_arrived, &announced, WAIT_MS);
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (entry)), ==, "");

  gtk_editable_set_text (GTK_EDITABLE (entry), again.text);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (fixture->page), "owner.announce", NULL));
  cr_test_assert_wait (message_arrived, &again, WAIT_MS);

  /* No owner chat line came from the page. */
  {
    GListModel *messages = cr_client_get_messages (alice);

    for (guint i = 0; i < g_list_model_get_n_items (messages); i++)
      {
        g_autoptr(CrMessage) message = g_list_model_get_item (messages, i);

        g_assert_cmpint (cr_message_get_kind (message), !=, CR_EVENT_OWNER_CHAT);
      }
  }

  cr_test_leave_and_free (g_steal_pointer (&alice));
}

static void
test_settings_apply (Fixture       *fixture,
                     gconstpointer  data)
{
  g_autoptr(GSettings) settings = g_settings_new ("io.github.chatroom.ChatRoom");
  GtkWidget *name_row = find_room_name_row (GTK_WIDGET (fixture->page));
  g_autofree char *stored = NULL;
  guint history = 0;
  gboolean required = FALSE;

  /* Live settings reach the running room. */
  g_settings_set_uint (settings, "history-length", 7);
  g_settings_set_boolean (settings, "require-registration", TRUE);
  cr_test_run_for (50);
  g_object_get (fixture->server, "history-length", &history,
                "require-registration", &required, NULL);
  g_assert_cmpuint (history, ==, 7);
  g_assert_true (required);

  /* The room name applies on the row's apply button, and is remembered. */
  gtk_editable_set_text (GTK_EDITABLE (name_row), "  Physics 101 ");
  g_signal_emit_by_name (name_row, "apply");
  g_assert_cmpstr (cr_server_get_room_name (fixture->server), ==, "Physics 101");
  stored = g_settings_get_string (settings, "room-name");
  g_assert_cmpstr (stored, ==, "Physics 101");

  /* A blank name is refused, and the row shows the name in force again. */
  gtk_editable_set_text (GTK_EDITABLE (name_row), "   ");
  g_signal_emit_by_name (name_row, "apply");
  g_assert_cmpstr (cr_server_get_room_name (fixture->server), ==, "Physics 101");
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (name_row)), ==, "Physics 101");

  g_settings_reset (settings, "history-length");
  g_settings_reset (settings, "require-registration");
  g_settings_reset (settings, "room-name");
}

static gboolean
is_inside (GtkWidget *widget,
           GtkWidget *ancestor)
{
  return widget != NULL && (widget == ancestor || gtk_widget_is_ancestor (widget, ancestor));
}

/* Every control of the page is a Tab stop: from the copy button at the
 * top, Tab reaches the tabs, the search and the member's menu; on the
 * room's tab (opened from its switcher button), the announcement, the
 * room name, a spin button and a switch. */
static void
tab_around (Fixture    *fixture,
            GtkWidget **targets,
            gboolean   *reached,
            guint       n_targets)
{
  g_assert_true (gtk_widget_grab_focus (cr_test_ui_find_type (GTK_WIDGET (fixture->page),
                                                              GTK_TYPE_BUTTON)));
  for (guint i = 0; i < 100; i++)
    {
      GtkWidget *focus;

      gtk_widget_child_focus (GTK_WIDGET (fixture->window), GTK_DIR_TAB_FORWARD);
      focus = gtk_root_get_focus (GTK_ROOT (fixture->window));
      for (guint t = 0; t < n_targets; t++)
        reached[t] |= is_inside (focus, targets[t]);
    }
  for (guint t = 0; t < n_targets; t++)
    if (!reached[t])
      g_error ("Tab never reached a %s", G_OBJECT_TYPE_NAME (targets[t]));
}

typedef struct {
  Fixture    *fixture;
  const char *name;
} TabCond;

static gboolean
tab_shown (gpointer data)
{
  TabCond *c = data;
  GtkWidget *stack = cr_test_ui_find_type (GTK_WIDGET (c->fixture->page), ADW_TYPE_VIEW_STACK);

  return g_strcmp0 (adw_view_stack_get_visible_child_name (ADW_VIEW_STACK (stack)), c->name) == 0;
}

static gboolean
is_switcher_button (GtkWidget     *widget,
                    gconstpointer  label)
{
  return GTK_IS_TOGGLE_BUTTON (widget) && cr_test_ui_has_label (widget, label);
}

static GtkWidget *
find_switcher_button (GtkWidget  *widget,
                      const char *label)
{
  return cr_test_ui_find (widget, is_switcher_button, label);
}

static void
test_keyboard (Fixture       *fixture,
               gconstpointer  data)
{
  g_autoptr(CrClient) alice = cr_test_join (fixture->address, "alice", NULL, FALSE, WAIT_MS, NULL);
  RowCond has_alice = { fixture, "alice" };
  GtkWidget *page = GTK_WIDGET (fixture->page);
  GtkWidget *room_tab = find_switcher_button (page, C_("owner page tab", "Room"));
  GtkWidget *members_page[4];
  GtkWidget *room_page[4];
  GtkWidget *room_child;
  gboolean reached_members[4] = { FALSE, };
  gboolean reached_room[4] = { FALSE, };
  TabCond room = { fixture, "room" };

  cr_test_assert_wait (row_present, &has_alice, WAIT_MS);
  g_assert_nonnull (room_tab);
  members_page[0] = cr_test_ui_find_type (GTK_WIDGET (row_of (fixture, "alice")),
                                          GTK_TYPE_MENU_BUTTON);
  members_page[1] = cr_test_ui_find_type (page, GTK_TYPE_SEARCH_ENTRY);
  members_page[2] = room_tab;
  members_page[3] = cr_test_ui_find_type (cr_test_ui_find_type (page, CR_TYPE_OWNER_MODERATION),
                                          GTK_TYPE_SWITCH);
  tab_around (fixture, members_page, reached_members, G_N_ELEMENTS (members_page));

  /* The icon-only button says what it is for (set as the focus came). */
  {
    g_autofree char *tip = g_strdup_printf (_("Actions for %s"), "alice");

    g_assert_cmpstr (gtk_widget_get_tooltip_text (members_page[0]), ==, tip);
  }

  /* The room's tab, as Space on its switcher button opens it. */
  g_assert_true (gtk_widget_activate (room_tab));
  cr_test_assert_wait (tab_shown, &room, WAIT_MS);
  /* Looked for on the room's tab: the members' tab has an entry row and a
   * switch of its own (the class controls). */
  room_child = adw_view_stack_get_visible_child (ADW_VIEW_STACK (cr_test_ui_find_type (page,
                                                                           ADW_TYPE_VIEW_STACK)));
  room_page[0] = cr_test_ui_find_type (room_child, GTK_TYPE_ENTRY);
  room_page[1] = cr_test_ui_find_type (room_child, ADW_TYPE_ENTRY_ROW);
  room_page[2] = cr_test_ui_find_type (room_child, GTK_TYPE_SPIN_BUTTON);
  room_page[3] = cr_test_ui_find_type (room_child, GTK_TYPE_SWITCH);
  tab_around (fixture, room_page, reached_room, G_N_ELEMENTS (room_page));

  cr_test_leave_and_free (g_steal_pointer (&alice));
}

static void
on_stop_requested (CrOwnerPage *page,
                   gboolean    *asked)
{
  *asked = TRUE;
}

static void
test_stop_requested (Fixture       *fixture,
                     gconstpointer  data)
{
  gboolean asked = FALSE;

  g_signal_connect (fixture->page, "stop-requested", G_CALLBACK (on_stop_requested), &asked);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (fixture->page), "owner.stop", NULL));
  g_assert_true (asked);
  /* The page only asks: the window decides and stops the room. */
  g_assert_true (cr_server_get_running (fixture->server));
}

/* The page binds the server's own member list: a row comes and goes in the
 * very items-changed that inserts or removes the member, and a member's
 * row follows its notifies, with no mirror, idle or timer in between. */
typedef struct {
  Fixture *fixture;
  guint    n_changes;
  gboolean row_follows;
} Follow;

static void
on_members_changed_after (GListModel *members,
                          guint       position,
                          guint       removed,
                          guint       added,
                          Follow     *follow)
{
  follow->n_changes++;
  /* What the list box shows now is the model, item for item. */
  follow->row_follows = TRUE;
  for (guint i = 0; i < g_list_model_get_n_items (members); i++)
    {
      g_autoptr(CrMember) member = g_list_model_get_item (members, i);

      if (row_of (follow->fixture, cr_member_get_name (member)) == NULL)
        follow->row_follows = FALSE;
    }
  if (removed > 0 && row_of (follow->fixture, "bob") != NULL &&
      g_list_model_get_n_items (members) == 1)
    follow->row_follows = FALSE;
}

static void
test_rows_follow_model (Fixture       *fixture,
                        gconstpointer  data)
{
  GListModel *members = cr_server_get_members (fixture->server);
  Follow follow = { fixture, 0, FALSE };
  g_autoptr(CrClient) alice = NULL;
  g_autoptr(CrClient) bob = NULL;
  RowCond has_bob = { fixture, "bob" };
  CrOwnerMemberRow *alice_row;
  CrMember *member;
  g_autofree char *expected = NULL;
  g_autofree char *description = NULL;
  GtkWidget *group;

  g_signal_connect_after (members, "items-changed",
                          G_CALLBACK (on_members_changed_after), &follow);

  alice = cr_test_join (fixture->address, "alice", NULL, FALSE, WAIT_MS, NULL);
  bob = cr_test_join (fixture->address, "bob", NULL, FALSE, WAIT_MS, NULL);
  g_assert_cmpuint (follow.n_changes, ==, 2);
  g_assert_true (follow.row_follows);

  /* The member count above the list follows too. */
  group = gtk_widget_get_ancestor (GTK_WIDGET (row_of (fixture, "bob")),
                                   ADW_TYPE_PREFERENCES_GROUP);
  description = g_strdup_printf (ngettext ("%u person in the room", "%u people in the room", 2),
                                 2);
  g_assert_cmpstr (adw_preferences_group_get_description (ADW_PREFERENCES_GROUP (group)), ==,
                   description);

  /* A row shows the member's own object, and redraws on its notify. */
  alice_row = row_of (fixture, "alice");
  member = cr_owner_member_row_get_member (alice_row);
  {
    g_autoptr(CrMember) first = g_list_model_get_item (members, 0);

    g_assert_true (member == first);
  }
  cr_member_set_last_active (member, g_get_real_time () - 3 * G_USEC_PER_SEC);
  expected = cr_owner_format_last_active (cr_member_get_last_active (member),
                                          g_get_real_time ());
  {
    g_autofree char *details = cr_owner_member_row_dup_details (alice_row);

    g_assert_nonnull (strstr (details, expected));
  }

  follow.row_follows = FALSE;
  cr_test_leave_and_free (g_steal_pointer (&bob));
  g_assert_cmpuint (follow.n_changes, ==, 3);
  g_assert_true (follow.row_follows);
  g_assert_false (row_present (&has_bob));
  /* Alice's row lived through it. */
  g_assert_true (row_of (fixture, "alice") == alice_row);

  g_signal_handlers_disconnect_by_data (members, &follow);
  cr_test_leave_and_free (g_steal_pointer (&alice));
}

/* The room name row writes the settings only; the running room follows
 * them (bound once), and the row shows the name the room has. */
static void
test_room_name_bound (Fixture       *fixture,
                      gconstpointer  data)
{
  GtkWidget *name_row = find_room_name_row (GTK_WIDGET (fixture->page));
  g_autofree char *fallback = g_strdup_printf (_("%s's room"), "teacher");

  g_settings_set_string (fixture->settings, "room-name", "Chemistry");
  g_assert_cmpstr (cr_server_get_room_name (fixture->server), ==, "Chemistry");
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (name_row)), ==, "Chemistry");

  /* No name set: the owner's default name. */
  g_settings_reset (fixture->settings, "room-name");
  g_assert_cmpstr (cr_server_get_room_name (fixture->server), ==, fallback);
}



/* --- issue 16 and issue 10: the owner view ------------------------------ */

static GtkWidget *
find_apply_button (GtkWidget *widget)
{
  /* AdwEntryRow's ✓ (libadwaita 1.2: adw-entry-row.ui). */
  return cr_test_ui_find_icon_button (widget, "adw-entry-apply-symbolic");
}

static void
show_tab (Fixture    *fixture,
          const char *name)
{
  GtkWidget *stack = cr_test_ui_find_type (GTK_WIDGET (fixture->page), ADW_TYPE_VIEW_STACK);

  adw_view_stack_set_visible_child_name (ADW_VIEW_STACK (stack), name);
  cr_test_run_for (50);
}

static gboolean
window_active (gpointer window)
{
  return gtk_window_is_active (window);
}

static gboolean
widget_shown (gpointer widget)
{
  return gtk_widget_get_visible (widget);
}

static gboolean
widget_hidden (gpointer widget)
{
  return !gtk_widget_get_visible (widget);
}

/* Issue 16, point 4: a rename applied hides the ✓, whether the name came
 * back trimmed or as typed, and a name set by the room shows none. */
static void
test_rename_hides_apply (Fixture       *fixture,
                         gconstpointer  data)
{
  GtkWidget *name_row;
  GtkWidget *apply;
  const char *names[] = { "Physics", "  Physics 101 " };

  show_tab (fixture, "room");
  name_row = find_room_name_row (GTK_WIDGET (fixture->page));
  apply = find_apply_button (name_row);
  g_assert_nonnull (apply);

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autofree char *stripped = g_strstrip (g_strdup (names[i]));

      /* Typed into the focused row: the ✓ shows. The row counts only an
       * edit made with the keyboard focus, which needs the window to have
       * the display's focus (other tests' windows share the Xvfb). */
      gtk_window_present (fixture->window);
      cr_test_assert_wait (window_active, fixture->window, WAIT_MS);
      g_assert_true (gtk_widget_grab_focus (name_row));
      gtk_editable_set_text (GTK_EDITABLE (name_row), names[i]);
      cr_test_assert_wait (widget_shown, apply, WAIT_MS);

      /* Applied: the room has the name, and the ✓ is gone (and stays gone:
       * the bug brought it back on the page's own follow-up). */
      g_signal_emit_by_name (apply, "clicked");
      cr_test_assert_wait (widget_hidden, apply, WAIT_MS);
      cr_test_run_for (50);
      g_assert_cmpstr (cr_server_get_room_name (fixture->server), ==, stripped);
      g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (name_row)), ==, stripped);
      g_assert_false (gtk_widget_get_visible (apply));
    }

  /* Renamed elsewhere (the settings) while the row has the focus. */
  g_assert_true (gtk_widget_grab_focus (name_row));
  g_settings_set_string (fixture->settings, "room-name", "Chemistry");
  cr_test_run_for (20);
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (name_row)), ==, "Chemistry");
  g_assert_false (gtk_widget_get_visible (apply));
}

/* Issue 16, point 12: loopback is "this computer", never where others
 * join. The fixture's room listens on 127.0.0.1 only. */
static void
test_this_computer (Fixture       *fixture,
                    gconstpointer  data)
{
  const char *wildcards[] = { "0.0.0.0", "::" };
  GtkWidget *page = GTK_WIDGET (fixture->page);
  LabelCond address = { page, fixture->address };

  cr_test_assert_wait (label_shown, &address, WAIT_MS);
  g_assert_false (cr_test_ui_has_label (page, ngettext ("Others join at", "Others join at one of",
                                                        1)));
  g_assert_true (cr_test_ui_has_label (page, _("Only this computer can join, at")));

  /* The loopback ones of a room on every network are told apart (the
   * page lists only the others). No socket: the interfaces as listed. */
  for (guint w = 0; w < G_N_ELEMENTS (wildcards); w++)
    {
      g_autoptr(GSocketAddress) any = g_inet_socket_address_new_from_string (wildcards[w], 10024);
      g_auto(GStrv) all = _cr_server_list_join_addresses (any);

      for (guint i = 0; all[i] != NULL; i++)
        g_assert_cmpint (_cr_server_join_address_is_local (all[i]), ==,
                         g_str_has_prefix (all[i], "127.") || g_str_has_prefix (all[i], "[::1]"));
    }
  g_assert_true (_cr_server_join_address_is_local ("127.0.0.1:10024"));
  g_assert_true (_cr_server_join_address_is_local ("[::1]:10024"));
  g_assert_false (_cr_server_join_address_is_local ("192.168.1.5:10024"));
  g_assert_false (_cr_server_join_address_is_local ("[fd00::5]:10024"));
}

/* The action row titled title, anywhere inside widget. */
static gboolean
is_action_row (GtkWidget     *widget,
               gconstpointer  title)
{
  return ADW_IS_ACTION_ROW (widget) &&
         g_strcmp0 (adw_preferences_row_get_title (ADW_PREFERENCES_ROW (widget)), title) == 0;
}

static AdwActionRow *
find_action_row (GtkWidget  *widget,
                 const char *title)
{
  return ADW_ACTION_ROW (cr_test_ui_find (widget, is_action_row, title));
}

/* Issue 12: the owner reads the room key's fingerprint aloud from the
 * page, and decides whether classroom (plaintext) clients may join. */
static void
test_room_key (Fixture       *fixture,
               gconstpointer  data)
{
  GtkWidget *page = GTK_WIDGET (fixture->page);
  g_autofree char *fingerprint = cr_server_dup_fingerprint (fixture->server);
  g_autofree char *key_text = NULL;
  LabelCond key;
  AdwActionRow *row;
  GtkWidget *classic;

  g_assert_nonnull (fingerprint);
  key_text = g_strdup_printf (_("Room key: %s"), fingerprint);
  key = (LabelCond) { page, key_text };
  cr_test_assert_wait (label_shown, &key, WAIT_MS);

  show_tab (fixture, "room");
  row = find_action_row (page, _("Admit classroom clients"));
  g_assert_nonnull (row);
  classic = adw_action_row_get_activatable_widget (row);
  g_assert_true (GTK_IS_SWITCH (classic));
  g_assert_true (gtk_switch_get_active (GTK_SWITCH (classic)));
  gtk_switch_set_active (GTK_SWITCH (classic), FALSE);
  g_assert_false (g_settings_get_boolean (fixture->settings, "allow-classic"));
  {
    gboolean allowed = TRUE;

    g_object_get (fixture->server, "allow-classic", &allowed, NULL);
    g_assert_false (allowed);
  }
  gtk_switch_set_active (GTK_SWITCH (classic), TRUE);
}

/* Every visible label inside widget shows each of its lines on one line:
 * nothing wrapped. */
static void
assert_no_wrapped_label (GtkWidget *widget)
{
  if (GTK_IS_LABEL (widget) && gtk_widget_get_visible (widget) &&
      gtk_label_get_text (GTK_LABEL (widget))[0] != '\0')
    {
      const char *text = gtk_label_get_text (GTK_LABEL (widget));
      PangoLayout *layout = gtk_label_get_layout (GTK_LABEL (widget));
      guint lines = cr_test_count_substring (text, "\n") + 1;

      if ((guint) pango_layout_get_line_count (layout) != lines)
        g_error ("“%s” takes %d lines, not %u", text,
                 pango_layout_get_line_count (layout), lines);
    }

  for (GtkWidget *child = gtk_widget_get_first_child (widget);
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    assert_no_wrapped_label (child);
}

static gboolean
row_classic (gpointer data)
{
  RowCond *c = data;
  CrOwnerMemberRow *row = row_of (c->fixture, c->name);

  return row != NULL && (cr_member_get_flags (cr_owner_member_row_get_member (row)) &
                         CR_MEMBER_CLASSIC) != 0;
}

/* Issue 10: a classic member is marked (its lines can be read on the
 * network); issue 16, point 11: beside the badges, at a phone's width, a
 * row's details are not wrapped. */
static void
test_classic_badge (Fixture       *fixture,
                    gconstpointer  data)
{
  g_autoptr(CrTestSocket) carol = cr_test_socket_new ("127.0.0.1");
  g_autoptr(GSocketAddress) room = cr_test_socket_address ("127.0.0.1",
                                                          cr_server_get_port (fixture->server));
  g_autoptr(CrClient) alice = cr_test_join (fixture->address, "alice", NULL, FALSE, WAIT_MS, NULL);
  RowCond has_carol = { fixture, "carol" };
  RowCond has_alice = { fixture, "alice" };
  const char *tip = _("Uses the classroom client: can be read on the network");
  const char *badge = C_("member dialect", "classic");
  CrOwnerMemberRow *row;
  GtkWidget *label;

  gtk_window_set_default_size (fixture->window, 360, 700);
  cr_test_socket_send_text (carol, room, "N carol");
  cr_test_assert_wait (row_classic, &has_carol, WAIT_MS);
  cr_test_assert_wait (row_has_address, &has_carol, WAIT_MS);
  cr_test_assert_wait (row_has_address, &has_alice, WAIT_MS);
  g_assert_true (activate (fixture, "owner.mute", "carol"));
  cr_test_assert_wait (row_muted, &has_carol, WAIT_MS);
  cr_test_run_for (100);

  /* Carol's row says "classic", with why it matters in its tooltip. */
  row = row_of (fixture, "carol");
  label = cr_test_ui_find_label (GTK_WIDGET (row), badge);
  g_assert_nonnull (label);
  g_assert_true (gtk_widget_is_visible (label));
  g_assert_cmpstr (gtk_widget_get_tooltip_text (label), ==, tip);
  /* Alice, a native member, is not marked. */
  g_assert_false (cr_test_ui_has_label (GTK_WIDGET (row_of (fixture, "alice")), badge));

  /* Muted and classic, 360 px wide: every line of the rows is one line. */
  assert_no_wrapped_label (GTK_WIDGET (row));
  assert_no_wrapped_label (GTK_WIDGET (row_of (fixture, "alice")));

  cr_test_socket_send_text (carol, room, "Q");
  cr_test_leave_and_free (g_steal_pointer (&alice));
}

/* Issue 16, point 5: as a side pane or a phone's whole width, the page
 * works from 300 px: it asks no more, and nothing in it is cut off. */
static void
assert_inside (GtkWidget *widget,
               GtkWidget *page,
               int        width)
{
  graphene_rect_t bounds;

  if (!gtk_widget_get_mapped (widget))
    return;
  if (gtk_widget_compute_bounds (widget, page, &bounds) &&
      (bounds.origin.x < -0.5 || bounds.origin.x + bounds.size.width > width + 0.5))
    g_error ("a %s is cut off at %d px: %.0f to %.0f", G_OBJECT_TYPE_NAME (widget), width,
             bounds.origin.x, bounds.origin.x + bounds.size.width);

  /* An overlay scrollbar's slider reaches a few pixels past the edge
   * (GTK's, not our layout): the scrollbar itself was checked above. */
  if (GTK_IS_SCROLLBAR (widget))
    return;

  for (GtkWidget *child = gtk_widget_get_first_child (widget);
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    assert_inside (child, page, width);
}

static void
test_narrow (Fixture       *fixture,
             gconstpointer  data)
{
  g_autoptr(CrClient) alice = cr_test_join (fixture->address, "alice", NULL, FALSE, WAIT_MS, NULL);
  RowCond has_alice = { fixture, "alice" };
  const char *tabs[] = { "members", "room" };
  int minimum = 0;

  cr_test_assert_wait (row_has_address, &has_alice, WAIT_MS);
  gtk_widget_measure (GTK_WIDGET (fixture->page), GTK_ORIENTATION_HORIZONTAL, -1,
                      &minimum, NULL, NULL, NULL);
  g_assert_cmpint (minimum, <=, 300);

  gtk_window_set_default_size (fixture->window, 300, 700);
  for (guint i = 0; i < G_N_ELEMENTS (tabs); i++)
    {
      show_tab (fixture, tabs[i]);
      cr_test_run_for (100);
      g_assert_cmpint (gtk_widget_get_width (GTK_WIDGET (fixture->page)), <=, 300);
      assert_inside (GTK_WIDGET (fixture->page), GTK_WIDGET (fixture->page),
                     gtk_widget_get_width (GTK_WIDGET (fixture->page)));
    }
  assert_no_wrapped_label (GTK_WIDGET (row_of (fixture, "alice")));

  cr_test_leave_and_free (g_steal_pointer (&alice));
}

/* The members' list: a list view (only the rows near the screen are
 * widgets, so what it lists is its model). */
static GtkListView *
find_members_list (Fixture *fixture)
{
  GtkWidget *list = cr_test_ui_find_type (GTK_WIDGET (fixture->page), GTK_TYPE_LIST_VIEW);

  g_assert_nonnull (list);
  return GTK_LIST_VIEW (list);
}

/* The names the member list shows, top to bottom. */
static GPtrArray *
dup_row_names (Fixture *fixture)
{
  GListModel *shown = G_LIST_MODEL (gtk_list_view_get_model (find_members_list (fixture)));
  GPtrArray *names = g_ptr_array_new_with_free_func (g_free);

  for (guint i = 0; shown != NULL && i < g_list_model_get_n_items (shown); i++)
    {
      g_autoptr(CrMember) member = g_list_model_get_item (shown, i);

      g_ptr_array_add (names, g_strdup (cr_member_get_name (member)));
    }
  return names;
}

typedef struct {
  Fixture *fixture;
  guint    n;
} CountCond;

static gboolean
rows_counted (gpointer data)
{
  CountCond *c = data;
  g_autoptr(GPtrArray) names = dup_row_names (c->fixture);

  return names->len == c->n;
}

static gboolean
is_action_button (GtkWidget     *widget,
                  gconstpointer  action)
{
  return GTK_IS_BUTTON (widget) &&
         g_strcmp0 (gtk_actionable_get_action_name (GTK_ACTIONABLE (widget)), action) == 0;
}

static GtkWidget *
find_action_button (GtkWidget  *widget,
                    const char *action)
{
  return cr_test_ui_find (widget, is_action_button, action);
}

/* Whether widget is on screen in its scrolled window as it is scrolled
 * now (or in none at all). */
static gboolean
in_view (GtkWidget *widget)
{
  GtkWidget *scrolled = gtk_widget_get_ancestor (widget, GTK_TYPE_SCROLLED_WINDOW);
  graphene_rect_t bounds;

  if (!gtk_widget_is_visible (widget))
    return FALSE;
  if (scrolled == NULL)
    return TRUE;
  /* Not laid out yet: not in view yet. */
  if (!gtk_widget_compute_bounds (widget, scrolled, &bounds))
    return FALSE;
  return bounds.origin.y >= 0 &&
         bounds.origin.y + bounds.size.height <= gtk_widget_get_height (scrolled);
}

/* For cr_test_assert_wait: a tab switch is laid out on a later frame, which
 * a loaded machine may draw late. */
static gboolean
comes_in_view (gpointer widget)
{
  return in_view (widget);
}

/* With CR_SCREENSHOT_DIR set, the window as drawn now goes to
 * DIR/name-LANGUAGE.png (the screenshots; nothing is checked). */
static void
save_screenshot (Fixture    *fixture,
                 const char *name)
{
  const char *dir = g_getenv ("CR_SCREENSHOT_DIR");
  const char *language = g_getenv ("LANGUAGE");
  GtkWidget *widget = GTK_WIDGET (fixture->window);
  g_autoptr(GdkPaintable) paintable = NULL;
  g_autoptr(GskRenderNode) node = NULL;
  g_autoptr(GdkTexture) texture = NULL;
  g_autofree char *path = NULL;
  GtkSnapshot *snapshot;
  int width = gtk_widget_get_width (widget);
  int height = gtk_widget_get_height (widget);

  if (dir == NULL)
    return;

  paintable = gtk_widget_paintable_new (widget);
  snapshot = gtk_snapshot_new ();
  gdk_paintable_snapshot (paintable, snapshot, width, height);
  node = gtk_snapshot_free_to_node (snapshot);
  texture = gsk_renderer_render_texture (gtk_native_get_renderer (GTK_NATIVE (widget)), node,
                                         &GRAPHENE_RECT_INIT (0, 0, width, height));
  path = g_strdup_printf ("%s/%s-%s.png", dir, name,
                          language != NULL && language[0] != '\0' ? language : "en");
  g_assert_true (gdk_texture_save_to_png (texture, path));
}

/* Issue 16, point 11: 200 members (real clients on loopback) in natural
 * order, found by a search, with the settings and "Stop Hosting" not
 * below them. */
static void
test_two_hundred (Fixture       *fixture,
                  gconstpointer  data)
{
  g_autoptr(GPtrArray) joiners = g_ptr_array_new_with_free_func (g_free);
  GPtrArray *clients;
  g_autoptr(GPtrArray) names = NULL;
  GtkWidget *page = GTK_WIDGET (fixture->page);
  GtkWidget *search = cr_test_ui_find_type (page, GTK_TYPE_SEARCH_ENTRY);
  CountCond all = { fixture, 200 };
  CountCond fourteen = { fixture, 11 };   /* u14, u140 … u149 */
  CountCond one = { fixture, 1 };

  gtk_window_set_default_size (fixture->window, 400, 700);
  /* Joined out of order: u1, u8, u15, … (7 is prime to 200), all at once
   * (one after the other took half a minute under the sanitizers). */
  for (guint i = 0; i < 200; i++)
    g_ptr_array_add (joiners, g_strdup_printf ("u%u", (i * 7) % 200 + 1));
  g_ptr_array_add (joiners, NULL);
  clients = cr_test_join_many (fixture->address, (const char * const *) joiners->pdata, WAIT_MS);
  cr_test_assert_wait (rows_counted, &all, WAIT_MS);
  g_assert_true (activate (fixture, "owner.mute", "u3"));
  cr_test_run_for (200);
  save_screenshot (fixture, "owner-200-members");

  /* u1, u2, … u200: as numbers, not as text (u139 < u14 < u140). */
  names = dup_row_names (fixture);
  for (guint i = 0; i < names->len; i++)
    {
      g_autofree char *expected = g_strdup_printf ("u%u", i + 1);

      g_assert_cmpstr (names->pdata[i], ==, expected);
    }

  /* The search is above the list, not scrolled away with it. */
  g_assert_true (in_view (search));
  gtk_editable_set_text (GTK_EDITABLE (search), "u14");
  cr_test_assert_wait (rows_counted, &fourteen, WAIT_MS);
  g_clear_pointer (&names, g_ptr_array_unref);
  names = dup_row_names (fixture);
  g_assert_cmpstr (names->pdata[0], ==, "u14");
  g_assert_cmpstr (names->pdata[1], ==, "u140");
  /* The count above the list says how many match, of how many. */
  {
    g_autofree char *count = g_strdup_printf (ngettext ("%u of %u person match",
                                                        "%u of %u people match", 200), 11, 200);
    GtkWidget *group = gtk_widget_get_ancestor (GTK_WIDGET (row_of (fixture, "u14")),
                                                ADW_TYPE_PREFERENCES_GROUP);

    g_assert_cmpstr (adw_preferences_group_get_description (ADW_PREFERENCES_GROUP (group)), ==,
                     count);
  }
  gtk_editable_set_text (GTK_EDITABLE (search), "U139");
  cr_test_assert_wait (rows_counted, &one, WAIT_MS);
  g_assert_nonnull (row_of (fixture, "u139"));
  gtk_editable_set_text (GTK_EDITABLE (search), "");
  cr_test_assert_wait (rows_counted, &all, WAIT_MS);

  /* The settings and "Stop Hosting" are on screen without scrolling. */
  show_tab (fixture, "room");
  cr_test_assert_wait (comes_in_view, find_room_name_row (page), WAIT_MS);
  cr_test_assert_wait (comes_in_view, find_action_button (page, "owner.stop"), WAIT_MS);
  save_screenshot (fixture, "owner-200-room");

  cr_test_leave_many (clients);
}

/* A data directory whose bans table's root page is zeros: a room on it
 * starts, and fails closed with storage not ok for as long as it runs
 * (tests/test-storage-faults.c does the same to the engine). */
static void
make_broken_room (const char *dir)
{
  g_autofree char *path = g_build_filename (dir, "chatroom.db", NULL);
  g_autofree char *zeros = NULL;
  gint64 page, page_size;
  sqlite3 *db = NULL;
  sqlite3_stmt *stmt = NULL;
  int fd;

  {
    g_autoptr(GError) error = NULL;
    g_autoptr(CrStore) store = cr_store_open (dir, &error);

    g_assert_no_error (error);
    g_assert_true (cr_store_set_banned (store, "mallory", "mallory", TRUE, &error));
    g_assert_no_error (error);
  }

  g_assert_cmpint (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READONLY, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_prepare_v2 (db, "SELECT rootpage, (SELECT page_size FROM "
                                       "pragma_page_size) FROM sqlite_schema "
                                       "WHERE name = 'bans'", -1, &stmt, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  page = sqlite3_column_int64 (stmt, 0);
  page_size = sqlite3_column_int64 (stmt, 1);
  sqlite3_finalize (stmt);
  sqlite3_close (db);
  g_assert_cmpint (page, >, 1);

  zeros = g_malloc0 (page_size);
  fd = g_open (path, O_WRONLY, 0);
  g_assert_cmpint (fd, >=, 0);
  g_assert_cmpint (pwrite (fd, zeros, page_size, (page - 1) * page_size), ==, page_size);
  g_assert_cmpint (close (fd), ==, 0);
}

/* A label with text, shown with all its ancestors. */
static gboolean
on_screen (GtkWidget  *widget,
           const char *text)
{
  GtkWidget *label = cr_test_ui_find_label (widget, text);

  return label != NULL && gtk_widget_is_visible (label);
}

static void
on_storage_warning (CrServer    *server,
                    gboolean     ok,
                    const char  *message,
                    char       **told)
{
  if (!ok && *told == NULL)
    *told = g_strdup (message);
}

/* Issue 10: the owner sees a storage failure at once, in the room's own
 * sentence, and a page opened later still sees that it lasts. */
static void
test_storage_banner (Fixture       *fixture,
                     gconstpointer  data)
{
  g_autofree char *dir = cr_test_make_tmpdir ();
  g_autoptr(CrServer) server = cr_server_new (dir, "Broken");
  g_autoptr(GError) error = NULL;
  g_autofree char *told = NULL;
  const char *generic = _("The room cannot save its history: messages are relayed "
                          "but not kept.");
  GtkWindow *late_window;
  GtkWidget *late_page;
  gboolean ok = TRUE;

  /* Nothing wrong with the fixture's room: no banner. */
  g_assert_false (on_screen (GTK_WIDGET (fixture->page), generic));

  make_broken_room (dir);
  cr_owner_page_set_server (fixture->page, server);
  g_signal_connect (server, "storage-warning", G_CALLBACK (on_storage_warning), &told);
  g_assert_true (cr_server_start (server, "127.0.0.1:0", &error));
  g_assert_no_error (error);
  g_object_get (server, "storage-ok", &ok, NULL);
  g_assert_false (ok);

  /* At once: in the very signal, the banner says what the room said. */
  g_assert_nonnull (told);
  g_assert_true (on_screen (GTK_WIDGET (fixture->page), told));

  /* A page shown the failing room later says it too. */
  late_window = GTK_WINDOW (gtk_window_new ());
  late_page = cr_owner_page_new ();
  gtk_window_set_child (late_window, late_page);
  cr_owner_page_set_server (CR_OWNER_PAGE (late_page), server);
  gtk_window_present (late_window);
  cr_test_run_for (100);
  g_assert_true (on_screen (late_page, generic));

  gtk_window_destroy (late_window);
  cr_owner_page_set_server (fixture->page, fixture->server);
  g_assert_false (on_screen (GTK_WIDGET (fixture->page), told));
  cr_server_stop (server);
  cr_test_wait_until (NULL, NULL, 300);
  cr_test_remove_tree (dir);
}

/* The button of action for name, shown on screen. */
static GtkWidget *
find_target_button (GtkWidget  *widget,
                    const char *action,
                    const char *name)
{
  if (GTK_IS_BUTTON (widget) &&
      g_strcmp0 (gtk_actionable_get_action_name (GTK_ACTIONABLE (widget)), action) == 0)
    {
      GVariant *target = gtk_actionable_get_action_target_value (GTK_ACTIONABLE (widget));

      if (target != NULL && g_str_equal (g_variant_get_string (target, NULL), name))
        return widget;
      return NULL;
    }

  for (GtkWidget *child = gtk_widget_get_first_child (widget);
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_target_button (child, action, name);

      if (found != NULL)
        return found;
    }
  return NULL;
}

static gboolean
lock_listed (gpointer data)
{
  RowCond *c = data;
  GtkWidget *button = find_target_button (GTK_WIDGET (c->fixture->page), "owner.unlock", c->name);

  return button != NULL && gtk_widget_is_visible (button);
}

static gboolean
lock_unlisted (gpointer data)
{
  RowCond *c = data;

  return find_target_button (GTK_WIDGET (c->fixture->page), "owner.unlock", c->name) == NULL;
}

/* Issue 10: a name locked after too many wrong passwords is listed at
 * once, with an Unlock button that lets its owner back in. The back-off
 * between guesses (minutes by the tenth) passes on the room's clock. */
static void
test_locked_names (Fixture       *fixture,
                   gconstpointer  data)
{
  g_autofree char *dir = cr_test_make_tmpdir ();
  g_autoptr(CrServer) server = cr_server_new (dir, "Locks");
  g_autoptr(GError) error = NULL;
  g_autoptr(CrClient) victim = NULL;
  g_autofree char *address = NULL;
  g_autofree char *done = g_strdup_printf (_("%s can sign in again"), "victim");
  g_autofree char *no_change = cr_render_reason (CR_REASON_NO_CHANGE, NULL);
  RowCond locked = { fixture, "victim" };
  LabelCond toast = { GTK_WIDGET (fixture->page), done };
  LabelCond refused = { GTK_WIDGET (fixture->page), no_change };
  GtkWidget *group;

  g_assert_true (cr_server_start (server, "127.0.0.1:0", &error));
  g_assert_no_error (error);
  address = cr_test_address ("127.0.0.1", cr_server_get_port (server));
  cr_owner_page_set_server (fixture->page, server);

  victim = cr_test_join (address, "victim", "password1", TRUE, WAIT_MS, NULL);
  cr_test_leave_and_free (g_steal_pointer (&victim));

  for (guint i = 0; i < CR_ENGINE_LOGIN_LOCK_FAILURES; i++)
    {
      g_autoptr(GError) wrong = NULL;
      g_autoptr(CrClient) guess = NULL;

      /* Past the longest back-off: each guess is looked at. */
      if (i > 0)
        cr_server_advance_clock (6 * G_TIME_SPAN_MINUTE);
      g_assert_true (lock_unlisted (&locked));
      guess = cr_test_join (address, "victim", "not-her-password", FALSE, WAIT_MS, &wrong);
      g_assert_error (wrong, CR_CLIENT_ERROR, CR_REASON_WRONG_PASSWORD);
    }

  /* Listed as it happens, under its group. */
  cr_test_assert_wait (lock_listed, &locked, WAIT_MS);
  group = gtk_widget_get_ancestor (find_target_button (GTK_WIDGET (fixture->page),
                                                       "owner.unlock", "victim"),
                                   ADW_TYPE_PREFERENCES_GROUP);
  g_assert_true (gtk_widget_is_visible (group));
  victim = cr_test_join (address, "victim", "password1", FALSE, WAIT_MS, &error);
  g_assert_nonnull (error);
  g_clear_error (&error);
  g_clear_object (&victim);

  /* Unlock: gone from the list, said, and the right password works. */
  g_assert_true (activate (fixture, "owner.unlock", "victim"));
  cr_test_assert_wait (lock_unlisted, &locked, WAIT_MS);
  cr_test_assert_wait (toast_shown, &toast, WAIT_MS);
  g_assert_false (gtk_widget_get_visible (group));
  victim = cr_test_join (address, "victim", "password1", FALSE, WAIT_MS, NULL);
  cr_test_leave_and_free (g_steal_pointer (&victim));

  /* A lock that is not there (it ran out): refused, the page's usual way. */
  g_assert_true (activate (fixture, "owner.unlock", "victim"));
  cr_test_assert_wait (toast_shown, &refused, WAIT_MS);

  cr_owner_page_set_server (fixture->page, fixture->server);
  cr_server_stop (server);
  cr_test_wait_until (NULL, NULL, 300);
  cr_test_remove_tree (dir);
}

typedef struct {
  CrTestChild *child;
  gsize        from;
  const char  *needle;
} OutputAfter;

/* The child said needle after from (not in an earlier answer). */
static gboolean
output_after_has (gpointer data)
{
  OutputAfter *after = data;

  return strstr (after->child->output->str + after->from, after->needle) != NULL;
}

/* Without the GUI: chatroomd's console lists the members in the owner
 * view's order, searched the same way, and the locked names, and lifts a
 * lock. */
static void
test_console (Fixture       *fixture,
              gconstpointer  data)
{
  g_autofree char *chatroomd = g_test_build_filename (G_TEST_BUILT, "..", "src", "chatroomd",
                                                      NULL);
  g_autofree char *dir = cr_test_make_tmpdir ();
  guint16 port = cr_test_free_udp_port ();
  g_autofree char *listen = g_strdup_printf ("127.0.0.1:%u", port);
  g_autofree char *address = cr_test_address ("127.0.0.1", port);
  const char *argv[] = { chatroomd, "--listen", listen, "--data-dir", dir, NULL };
  const char *names[] = { "u2", "u10", "x1", "u1" };
  g_autoptr(GPtrArray) clients = g_ptr_array_new ();
  g_autofree char *header = g_strdup_printf (ngettext ("%u member:", "%u members:", 2), 2);
  g_autofree char *all = g_strdup_printf (ngettext ("%u member:", "%u members:", 4), 4);
  g_autofree char *not_locked = g_strdup_printf (_("“%s” is not locked; /locked lists the names that are"), "u1");
  CrTestChild *daemon;
  const char *list, *u1, *u10;
  gsize asked;

  daemon = cr_test_child_spawn (argv, TRUE);
  cr_test_child_expect (daemon, listen, 15000);
  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    g_ptr_array_add (clients, cr_test_join (address, names[i], NULL, FALSE, WAIT_MS, NULL));

  /* The room's member list takes a join in the turn after its welcome
   * (cr-server.c: reports), which a console line may come before: ask
   * until all four are listed. */
  for (guint i = 0; i < 50 && strstr (daemon->output->str, all) == NULL; i++)
    {
      cr_test_child_write_line (daemon, "/members");
      cr_test_wait_until (NULL, NULL, 100);
    }
  g_assert_nonnull (strstr (daemon->output->str, all));

  /* "U1" finds u1 and u10, in that order, and nobody else. */
  asked = daemon->output->len;
  cr_test_child_write_line (daemon, "/members U1");
  {
    OutputAfter after = { daemon, asked, "\n  u10  " };

    cr_test_assert_wait (output_after_has, &after, WAIT_MS);
  }
  list = strstr (daemon->output->str + asked, header);
  g_assert_nonnull (list);
  u1 = strstr (list, "\n  u1  ");
  u10 = strstr (list, "\n  u10  ");
  g_assert_nonnull (u1);
  g_assert_true (u1 < u10);
  g_assert_null (strstr (list, "\n  u2  "));
  g_assert_null (strstr (list, "\n  x1  "));

  cr_test_child_write_line (daemon, "/locked");
  cr_test_child_expect (daemon, _("No name is locked."), WAIT_MS);
  cr_test_child_write_line (daemon, "/unlock u1");
  cr_test_child_expect (daemon, not_locked, WAIT_MS);

  for (guint i = 0; i < clients->len; i++)
    cr_test_leave_and_free (clients->pdata[i]);
  cr_test_child_write_line (daemon, "/quit");
  cr_test_child_free (daemon);
  cr_test_remove_tree (dir);
}

/* cr_member_compare, which the owner view and the chat's member list
 * sort by: the owner first, then numbers as numbers, case aside. */
static void
test_natural_order (void)
{
  const char *sorted[] = { "teacher", "a", "a1", "a2", "a10", "B", "u7", "u007", "u14",
                           "U139", "u140", "u140a", "u141", "x9y2", "x9y10", "x10" };
  g_autoptr(GPtrArray) members = g_ptr_array_new_with_free_func (g_object_unref);

  for (guint i = 0; i < G_N_ELEMENTS (sorted); i++)
    g_ptr_array_add (members, cr_member_new (sorted[i], i == 0 ? CR_ROLE_OWNER : CR_ROLE_MEMBER,
                                             0));

  for (guint i = 0; i < members->len; i++)
    for (guint j = 0; j < members->len; j++)
      {
        int expected = i < j ? -1 : i > j ? 1 : 0;
        int cmp = cr_member_compare (members->pdata[i], members->pdata[j], NULL);

        if (cmp != expected)
          g_error ("%s vs %s: %d, not %d", sorted[i], sorted[j], cmp, expected);
      }
}

/* What a view bound to a paced list sees: the list as its items-changed
 * told it, and whether an item that stays was ever taken off. */
typedef struct {
  GPtrArray  *shown;       /* rebuilt from items-changed alone */
  GHashTable *stay;        /* items in the list before and after the burst */
  guint       n_changes;
  guint       largest;     /* removed + added of the largest change */
  guint       stay_removed;
} PacedWatch;

static void
on_paced_changed (GListModel *model,
                  guint       position,
                  guint       removed,
                  guint       added,
                  PacedWatch *w)
{
  w->n_changes++;
  w->largest = MAX (w->largest, removed + added);
  for (guint i = 0; i < removed; i++)
    if (w->stay != NULL && g_hash_table_contains (w->stay, w->shown->pdata[position + i]))
      w->stay_removed++;
  g_ptr_array_remove_range (w->shown, position, removed);
  for (guint i = 0; i < added; i++)
    g_ptr_array_insert (w->shown, position + i, g_list_model_get_item (model, position + i));
}

static void
assert_same_items (GListModel *a,
                   GListModel *b)
{
  g_assert_cmpuint (g_list_model_get_n_items (a), ==, g_list_model_get_n_items (b));
  for (guint i = 0; i < g_list_model_get_n_items (a); i++)
    {
      g_autoptr(GObject) x = g_list_model_get_item (a, i);
      g_autoptr(GObject) y = g_list_model_get_item (b, i);

      g_assert_true (x == y);
    }
}

static int
compare_member_pointers (gconstpointer a,
                         gconstpointer b,
                         gpointer      user_data)
{
  return cr_member_compare (*(CrMember **) a, *(CrMember **) b, NULL);
}

static CrMember *
numbered_member (guint n)
{
  g_autofree char *name = g_strdup_printf ("m%04u", n);

  return cr_member_new (name, CR_ROLE_MEMBER, 0);
}

/* Issue 9: a burst of joins and leaves reaches the owner's list view a
 * slice at a time, one slice per turn of the loop, in order, and the
 * members that stay are never taken off the list (their rows keep their
 * place on screen). A change made while a burst is still being handed on
 * waits its turn. */
static void
test_paced_list (void)
{
  g_autoptr(GListStore) store = g_list_store_new (CR_TYPE_MEMBER);
  g_autoptr(GPtrArray) merged = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(CrOwnerPacedList) paced = NULL;
  g_autoptr(GHashTable) stay = g_hash_table_new (NULL, NULL);
  PacedWatch w = { g_ptr_array_new_with_free_func (g_object_unref), stay, 0, 0, 0 };
  guint slice, turns = 0;

  /* 600 members (even numbers), then a burst: every third leaves, 500
   * join between them (odd numbers), as one splice of the whole list as
   * cr-member-list.c makes one. */
  for (guint i = 0; i < 600; i++)
    {
      g_autoptr(CrMember) member = numbered_member (2 * i);

      g_list_store_append (store, member);
    }
  paced = cr_owner_paced_list_new (G_LIST_MODEL (store));
  slice = cr_owner_paced_list_get_slice (paced);
  for (guint i = 0; i < 600; i++)
    g_ptr_array_add (w.shown, g_list_model_get_item (G_LIST_MODEL (paced), i));
  g_signal_connect (paced, "items-changed", G_CALLBACK (on_paced_changed), &w);

  for (guint i = 0; i < 600; i++)
    {
      CrMember *old = g_list_model_get_item (G_LIST_MODEL (store), i);

      if (i < 500)
        g_ptr_array_add (merged, numbered_member (2 * i + 1));
      if (i % 3 == 0)
        {
          g_object_unref (old);
          continue;
        }
      g_hash_table_add (stay, old);
      g_ptr_array_add (merged, old);
    }
  g_ptr_array_sort_with_data (merged, compare_member_pointers, NULL);
  g_list_store_splice (store, 0, 600, merged->pdata, merged->len);

  /* Nothing yet: the burst waits for the loop. */
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (paced)), ==, 600);
  g_assert_cmpuint (w.n_changes, ==, 0);
  g_assert_cmpuint (cr_owner_paced_list_get_pending (paced), ==, 1);

  /* Meanwhile one more leaves (the first, which stayed through the burst)
   * and one joins at the end: small, but behind the burst. */
  {
    g_autoptr(CrMember) first = g_list_model_get_item (G_LIST_MODEL (store), 0);
    g_autoptr(CrMember) last = numbered_member (9999);

    g_hash_table_remove (stay, first);
    g_list_store_remove (store, 0);
    g_list_store_append (store, last);
  }
  g_assert_cmpuint (cr_owner_paced_list_get_pending (paced), ==, 3);
  g_assert_cmpuint (w.n_changes, ==, 0);

  while (cr_owner_paced_list_get_pending (paced) > 0 && turns < 1000)
    {
      g_main_context_iteration (NULL, TRUE);
      turns++;
    }
  g_test_message ("burst of 200 leaves and 500 joins: %u changes in %u turns, the largest %u",
                  w.n_changes, turns, w.largest);
  g_assert_cmpuint (cr_owner_paced_list_get_pending (paced), ==, 0);
  g_assert_cmpuint (turns, >=, (200 + 500) / slice);
  g_assert_cmpuint (w.largest, <=, slice);
  g_assert_cmpuint (w.stay_removed, ==, 0);
  assert_same_items (G_LIST_MODEL (store), G_LIST_MODEL (paced));
  g_assert_cmpuint (w.shown->len, ==, g_list_model_get_n_items (G_LIST_MODEL (store)));
  for (guint i = 0; i < w.shown->len; i++)
    {
      g_autoptr(GObject) item = g_list_model_get_item (G_LIST_MODEL (store), i);

      g_assert_true (w.shown->pdata[i] == item);
    }

  /* A move (the same items in another order) ends in the source's order
   * too; flush hands everything on at once. */
  {
    guint n = g_list_model_get_n_items (G_LIST_MODEL (store));
    g_autoptr(GPtrArray) reversed = g_ptr_array_new_with_free_func (g_object_unref);

    for (guint i = 0; i < n; i++)
      g_ptr_array_add (reversed, g_list_model_get_item (G_LIST_MODEL (store), n - 1 - i));
    g_hash_table_remove_all (stay);
    g_list_store_splice (store, 0, n, reversed->pdata, reversed->len);
    g_assert_cmpuint (cr_owner_paced_list_get_pending (paced), ==, 1);
    cr_owner_paced_list_flush (paced);
    g_assert_cmpuint (cr_owner_paced_list_get_pending (paced), ==, 0);
    assert_same_items (G_LIST_MODEL (store), G_LIST_MODEL (paced));
  }

  g_signal_handlers_disconnect_by_data (paced, &w);
  g_ptr_array_unref (w.shown);
}

typedef struct {
  char *failed;     /* the first failure's sentence */
  char *recovered;  /* the first recovery's, after it */
} StorageTold;

static void
on_storage_told (CrServer    *server,
                 gboolean     ok,
                 const char  *message,
                 StorageTold *told)
{
  if (!ok && told->failed == NULL)
    told->failed = g_strdup (message);
  else if (ok && told->failed != NULL && told->recovered == NULL)
    told->recovered = g_strdup (message);
}

static gboolean
storage_recovered (gpointer data)
{
  return ((StorageTold *) data)->recovered != NULL;
}

/* Issue 10: the database deleted under the running room is noticed at the
 * next write and written back at once: the owner is told both, the
 * recovery in a toast, and no banner stays. */
static void
test_storage_recovers (Fixture       *fixture,
                       gconstpointer  data)
{
  g_autofree char *dir = cr_test_make_tmpdir ();
  g_autoptr(CrServer) server = cr_server_new (dir, "Deleted");
  g_autoptr(GError) error = NULL;
  g_autoptr(CrClient) alice = NULL;
  g_autofree char *address = NULL;
  const char *suffixes[] = { "", "-wal", "-shm" };
  StorageTold told = { NULL, NULL };
  LabelCond toast = { GTK_WIDGET (fixture->page), NULL };

  g_assert_true (cr_server_start (server, "127.0.0.1:0", &error));
  g_assert_no_error (error);
  address = cr_test_address ("127.0.0.1", cr_server_get_port (server));
  cr_owner_page_set_server (fixture->page, server);
  g_signal_connect (server, "storage-warning", G_CALLBACK (on_storage_told), &told);
  alice = cr_test_join (address, "alice", NULL, FALSE, WAIT_MS, NULL);

  for (guint i = 0; i < G_N_ELEMENTS (suffixes); i++)
    {
      g_autofree char *path = g_strconcat (dir, "/chatroom.db", suffixes[i], NULL);

      g_assert_true (g_unlink (path) == 0 || errno == ENOENT);
    }
  g_assert_nonnull (cr_client_send (alice, "one more line", &error));
  g_assert_no_error (error);
  cr_test_assert_wait (storage_recovered, &told, WAIT_MS);

  toast.text = told.recovered;
  cr_test_assert_wait (toast_shown, &toast, WAIT_MS);
  g_assert_false (on_screen (GTK_WIDGET (fixture->page), told.failed));

  cr_test_leave_and_free (g_steal_pointer (&alice));
  cr_owner_page_set_server (fixture->page, fixture->server);
  cr_server_stop (server);
  cr_test_wait_until (NULL, NULL, 300);
  cr_test_remove_tree (dir);
  g_free (told.failed);
  g_free (told.recovered);
}

/* --- limits (issues 9 and 13) ------------------------------------------- */

typedef struct {
  gboolean done;
  gboolean ok;
  GError  *error;
} Upload;

static void
on_uploaded (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  Upload *upload = user_data;

  upload->ok = cr_file_client_upload_finish (CR_FILE_CLIENT (source), result, NULL,
                                             &upload->error);
  upload->done = TRUE;
}

static gboolean
upload_done (gpointer data)
{
  return ((Upload *) data)->done;
}

/* Share path into the room as client; FALSE with error when refused. */
static gboolean
share_file (CrClient    *client,
            const char  *path,
            GError     **error)
{
  g_autoptr(GSocketAddress) address = NULL;
  g_autofree char *token = NULL;
  g_autoptr(CrFileClient) files = NULL;
  Upload upload = { 0 };

  g_assert_true (cr_client_dup_file_endpoint (client, &address, &token));
  files = cr_file_client_new (address, token);
  cr_file_client_upload_async (files, path, NULL, NULL, NULL, NULL, on_uploaded, &upload);
  cr_test_assert_wait (upload_done, &upload, 4 * WAIT_MS);
  if (upload.error != NULL)
    g_propagate_error (error, upload.error);
  return upload.ok;
}

static GtkSpinButton *
limit_spin (CrOwnerPage *page,
            const char  *title)
{
  AdwActionRow *row = find_action_row (GTK_WIDGET (page), title);

  g_assert_nonnull (row);
  g_assert_true (gtk_widget_get_mapped (GTK_WIDGET (row)));
  return GTK_SPIN_BUTTON (cr_test_ui_find_type (GTK_WIDGET (row), GTK_TYPE_SPIN_BUTTON));
}

/* The Room tab's limits change the running room: a member over the new
 * maximum is refused, a file over the new size refused (and taken once
 * the size is raised), sharing kept to the owner, the quota applied. */
static void
test_limits (Fixture       *fixture,
             gconstpointer  data)
{
  g_autofree char *dir = cr_test_make_tmpdir ();
  g_autofree char *room_dir = g_build_filename (dir, "room", NULL);
  g_autofree char *path = g_build_filename (dir, "notes.bin", NULL);
  g_autofree char *contents = g_malloc0 (1500 * 1000);
  g_autoptr(CrServer) server = cr_server_new (room_dir, "Limits");
  g_autoptr(GError) error = NULL;
  g_autofree char *address = NULL;
  CrClient *members[3] = { NULL, };
  AdwComboRow *policy_row;
  CrFiles *files;
  guint max_members = 0;

  g_settings_reset (fixture->settings, "max-members");
  g_assert_true (g_file_set_contents (path, contents, 1500 * 1000, NULL));
  cr_session_bind_server_settings (fixture->settings, server);
  g_assert_true (cr_server_start (server, "127.0.0.1:0", &error));
  g_assert_no_error (error);
  address = cr_test_address ("127.0.0.1", cr_server_get_port (server));
  cr_owner_page_set_server (fixture->page, server);
  show_tab (fixture, "room");
  files = cr_server_get_files (server);
  g_assert_nonnull (files);
  g_assert_cmpuint (cr_files_get_max_size (files), ==, 100 * 1000 * 1000);

  /* Maximum members: 2. The third is refused as the room being full. */
  gtk_spin_button_set_value (limit_spin (fixture->page, _("Maximum members")), 2);
  g_object_get (server, "max-members", &max_members, NULL);
  g_assert_cmpuint (max_members, ==, 2);
  members[0] = cr_test_join (address, "alice", NULL, FALSE, WAIT_MS, NULL);
  members[1] = cr_test_join (address, "bob", NULL, FALSE, WAIT_MS, NULL);
  members[2] = cr_test_join (address, "carol", NULL, FALSE, WAIT_MS, &error);
  g_assert_error (error, CR_CLIENT_ERROR, CR_REASON_ROOM_FULL);
  g_clear_error (&error);
  g_clear_object (&members[2]);

  /* Largest file 1 MB: 1.5 MB refused; 2 MB: taken. */
  gtk_spin_button_set_value (limit_spin (fixture->page, _("Largest file (MB)")), 1);
  g_assert_cmpuint (cr_files_get_max_size (files), ==, 1000 * 1000);
  g_assert_false (share_file (members[0], path, &error));
  g_assert_error (error, CR_FILES_ERROR, CR_FILES_ERROR_TOO_LARGE);
  g_clear_error (&error);
  gtk_spin_button_set_value (limit_spin (fixture->page, _("Largest file (MB)")), 2);
  g_assert_true (share_file (members[0], path, &error));
  g_assert_no_error (error);

  /* Storage: follows the row. */
  gtk_spin_button_set_value (limit_spin (fixture->page, _("Storage for files (MB)")), 50);
  g_assert_cmpuint (cr_files_get_quota (files), ==, 50 * 1000 * 1000);

  /* Only the owner may share: a guest's file is refused. */
  policy_row = ADW_COMBO_ROW (find_action_row (GTK_WIDGET (fixture->page),
                                               _("Who may share files")));
  g_assert_nonnull (policy_row);
  adw_combo_row_set_selected (policy_row, 2);
  g_assert_cmpint (cr_files_get_policy (files), ==, CR_FILES_SHARE_OWNER);
  g_assert_false (share_file (members[1], path, &error));
  g_assert_error (error, CR_FILES_ERROR, CR_FILES_ERROR_NOT_ALLOWED);
  g_clear_error (&error);

  /* Back to everyone, by the setting: the row follows. */
  g_settings_reset (fixture->settings, "file-share-policy");
  g_assert_cmpuint (adw_combo_row_get_selected (policy_row), ==, 0);
  g_assert_cmpint (cr_files_get_policy (files), ==, CR_FILES_SHARE_EVERYONE);
  /* The group scrolled into view, for a look (CR_SCREENSHOT_DIR). */
  gtk_widget_grab_focus (GTK_WIDGET (policy_row));
  cr_test_run_for (300);
  save_screenshot (fixture, "owner-limits");

  for (guint i = 0; i < 2; i++)
    cr_test_leave_and_free (members[i]);
  cr_owner_page_set_server (fixture->page, fixture->server);
  cr_server_stop (server);
  cr_test_wait_until (NULL, NULL, 300);
  g_settings_reset (fixture->settings, "max-members");
  g_settings_reset (fixture->settings, "file-max-size");
  g_settings_reset (fixture->settings, "file-quota");
  cr_test_remove_tree (dir);
}

/* A row's menu is made when it opens (cr-owner-member-row.c): open it,
 * and close it again, for what it offers. */
static GMenuModel *
opened_menu (GtkMenuButton *button)
{
  GMenuModel *model;

  gtk_menu_button_popup (button);
  cr_test_run_for (50);
  model = gtk_menu_button_get_menu_model (button);
  gtk_menu_button_popdown (button);
  g_assert_nonnull (model);
  return model;
}

/* Issue 15: the owner appoints an admin from the row's menu (a badge, the
 * member told), mutes for a duration, mutes everyone with the switch and
 * pins an announcement from the entry. */
static gboolean
row_is_admin (gpointer data)
{
  RowCond *c = data;
  CrOwnerMemberRow *row = row_of (c->fixture, c->name);

  return row != NULL &&
         cr_member_get_role (cr_owner_member_row_get_member (row)) == CR_ROLE_ADMIN &&
         cr_test_ui_has_label (GTK_WIDGET (row), C_("member role", "Admin"));
}

static gboolean
client_is_admin (gpointer data)
{
  return cr_client_get_role (data) == CR_ROLE_ADMIN;
}

static gboolean
client_mute_all (gpointer data)
{
  return cr_client_get_mute_all (data);
}

static gboolean
client_has_pin (gpointer data)
{
  return g_strcmp0 (cr_client_get_pin (data), "Quiz at 10:00") == 0;
}

static gboolean
menu_has_item (GMenuModel *model,
               const char *action)
{
  for (int i = 0; i < g_menu_model_get_n_items (model); i++)
    {
      g_autofree char *name = NULL;
      g_autoptr(GMenuModel) section = g_menu_model_get_item_link (model, i, G_MENU_LINK_SECTION);
      g_autoptr(GMenuModel) submenu = g_menu_model_get_item_link (model, i, G_MENU_LINK_SUBMENU);

      if (g_menu_model_get_item_attribute (model, i, G_MENU_ATTRIBUTE_ACTION, "s", &name) &&
          g_str_equal (name, action))
        return TRUE;
      if ((section != NULL && menu_has_item (section, action)) ||
          (submenu != NULL && menu_has_item (submenu, action)))
        return TRUE;
    }
  return FALSE;
}

static void
test_class_controls (Fixture       *fixture,
                     gconstpointer  data)
{
  g_autoptr(CrClient) alice = cr_test_join (fixture->address, "alice", NULL, FALSE, WAIT_MS, NULL);
  g_autoptr(CrClient) bob = cr_test_join (fixture->address, "bob", NULL, FALSE, WAIT_MS, NULL);
  RowCond has_alice = { fixture, "alice" };
  RowCond has_bob = { fixture, "bob" };
  GtkWidget *moderation;
  GtkSwitch *mute_all;
  AdwEntryRow *pin_row;
  GtkMenuButton *menu;
  g_autoptr(GtkCssProvider) css = gtk_css_provider_new ();

  /* The app's style sheet, as AdwApplication loads it: the badges. */
  gtk_css_provider_load_from_resource (css, "/io/github/chatroom/ChatRoom/style.css");
  gtk_style_context_add_provider_for_display (gdk_display_get_default (), GTK_STYLE_PROVIDER (css),
                                              GTK_STYLE_PROVIDER_PRIORITY_APPLICATION);
  cr_test_assert_wait (row_present, &has_alice, WAIT_MS);
  cr_test_assert_wait (row_present, &has_bob, WAIT_MS);

  /* The row's menu offers the admin and the timed mutes. */
  menu = GTK_MENU_BUTTON (cr_test_ui_find_type (GTK_WIDGET (row_of (fixture, "alice")),
                                       GTK_TYPE_MENU_BUTTON));
  g_assert_nonnull (menu);
  g_assert_true (menu_has_item (opened_menu (menu), "owner.admin"));
  g_assert_true (menu_has_item (opened_menu (menu), "owner.mute-for"));

  g_assert_true (activate (fixture, "owner.admin", "alice"));
  cr_test_assert_wait (row_is_admin, &has_alice, WAIT_MS);
  cr_test_assert_wait (client_is_admin, alice, WAIT_MS);
  /* A new role moves the member up the list: a new row, a new menu. */
  menu = GTK_MENU_BUTTON (cr_test_ui_find_type (GTK_WIDGET (row_of (fixture, "alice")),
                                       GTK_TYPE_MENU_BUTTON));
  g_assert_true (menu_has_item (opened_menu (menu), "owner.unadmin"));

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (fixture->page), "owner.mute-for",
                                             "(sx)", "bob", (gint64) 600));
  cr_test_assert_wait (row_muted, &has_bob, WAIT_MS);

  /* Mute everyone: the switch. */
  moderation = cr_test_ui_find_type (GTK_WIDGET (fixture->page), CR_TYPE_OWNER_MODERATION);
  g_assert_nonnull (moderation);
  mute_all = GTK_SWITCH (cr_test_ui_find_type (moderation, GTK_TYPE_SWITCH));
  gtk_switch_set_active (mute_all, TRUE);
  g_assert_true (cr_server_get_mute_all (fixture->server));
  cr_test_assert_wait (client_mute_all, bob, WAIT_MS);

  /* The pin: typed, then applied. */
  pin_row = ADW_ENTRY_ROW (cr_test_ui_find_type (moderation, ADW_TYPE_ENTRY_ROW));
  gtk_editable_set_text (GTK_EDITABLE (pin_row), "Quiz at 10:00");
  g_signal_emit_by_name (pin_row, "apply");
  cr_test_assert_wait (client_has_pin, bob, WAIT_MS);
  cr_test_run_for (200);
  save_screenshot (fixture, "owner-class");

  /* Off again, from the room's side: the switch follows. */
  g_assert_true (cr_server_moderate (fixture->server, CR_MANAGE_UNMUTE_ALL, NULL, 0, NULL));
  g_assert_false (gtk_switch_get_active (mute_all));

  gtk_style_context_remove_provider_for_display (gdk_display_get_default (),
                                                 GTK_STYLE_PROVIDER (css));
  cr_test_leave_and_free (g_steal_pointer (&alice));
  cr_test_leave_and_free (g_steal_pointer (&bob));
}

/* --- issue 9: a big room ------------------------------------------------ */

#define BIG_ROOM 1000
#define ABOVE    200    /* joining later, listed around those on screen: more than a slice */

static void
count_member_rows (GtkWidget *widget,
                   guint     *n)
{
  if (CR_IS_OWNER_MEMBER_ROW (widget))
    (*n)++;
  for (GtkWidget *child = gtk_widget_get_first_child (widget);
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    count_member_rows (child, n);
}

static void
on_big_room_changed (GListModel *members,
                     guint       position,
                     guint       removed,
                     guint       added,
                     guint      *n_changes)
{
  (*n_changes)++;
}

static void
on_shown_changed (GListModel *shown,
                  guint       position,
                  guint       removed,
                  guint       added,
                  guint      *largest)
{
  *largest = MAX (*largest, removed + added);
}

/* The list view shows the server's members, all of them, in its order. */
static void
assert_shown_as_server (Fixture *fixture)
{
  g_autoptr(GPtrArray) names = dup_row_names (fixture);
  GListModel *members = cr_server_get_members (fixture->server);

  g_assert_cmpuint (names->len, ==, g_list_model_get_n_items (members));
  for (guint i = 0; i < names->len; i++)
    {
      g_autoptr(CrMember) member = g_list_model_get_item (members, i);

      g_assert_cmpstr (names->pdata[i], ==, cr_member_get_name (member));
    }
}

static gboolean
server_has_members (gpointer data)
{
  CountCond *c = data;

  return g_list_model_get_n_items (cr_server_get_members (c->fixture->server)) == c->n;
}

/* The action and target of the row's menu item whose action is action
 * (the menu is made as it opens). */
static char *
dup_menu_target (CrOwnerMemberRow *row,
                 const char       *action)
{
  GtkMenuButton *button = GTK_MENU_BUTTON (cr_test_ui_find_type (GTK_WIDGET (row),
                                                                 GTK_TYPE_MENU_BUTTON));
  GMenuModel *menu;
  char *target = NULL;

  gtk_menu_button_popup (button);
  cr_test_run_for (50);
  menu = gtk_menu_button_get_menu_model (button);
  g_assert_nonnull (menu);
  for (int s = 0; s < g_menu_model_get_n_items (menu) && target == NULL; s++)
    {
      g_autoptr(GMenuModel) section = g_menu_model_get_item_link (menu, s, G_MENU_LINK_SECTION);

      for (int i = 0; section != NULL && i < g_menu_model_get_n_items (section); i++)
        {
          g_autofree char *name = NULL;
          g_autofree char *value = NULL;

          if (g_menu_model_get_item_attribute (section, i, G_MENU_ATTRIBUTE_ACTION, "s", &name) &&
              g_str_equal (name, action) &&
              g_menu_model_get_item_attribute (section, i, G_MENU_ATTRIBUTE_TARGET, "s", &value))
            {
              target = g_steal_pointer (&value);
              break;
            }
        }
    }
  gtk_menu_button_popdown (button);
  cr_test_run_for (50);
  return target;
}

/* Acts through the row's own menu item, as a click on it would: the
 * action found from the row, with the item's target. */
static void
act_from_row_menu (CrOwnerMemberRow *row,
                   const char       *action,
                   const char       *expected_target)
{
  g_autofree char *target = dup_menu_target (row, action);

  g_assert_cmpstr (target, ==, expected_target);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (row), action, "s", target));
}

/* The first member row wholly inside the list's scrolled window, and
 * where it is (y in the scrolled window). */
static CrOwnerMemberRow *
top_row (GtkWidget *widget,
         GtkWidget *scrolled,
         double    *y)
{
  graphene_rect_t bounds;

  if (CR_IS_OWNER_MEMBER_ROW (widget))
    {
      if (gtk_widget_get_mapped (widget) &&
          gtk_widget_compute_bounds (widget, scrolled, &bounds) && bounds.origin.y >= 0 &&
          bounds.origin.y < *y)
        {
          *y = bounds.origin.y;
          return CR_OWNER_MEMBER_ROW (widget);
        }
      return NULL;
    }
  {
    CrOwnerMemberRow *best = NULL;

    for (GtkWidget *child = gtk_widget_get_first_child (widget);
         child != NULL;
         child = gtk_widget_get_next_sibling (child))
      {
        CrOwnerMemberRow *found = top_row (child, scrolled, y);

        if (found != NULL)
          best = found;
      }
    return best;
  }
}

static gboolean
member_muted (gpointer data)
{
  RowCond *c = data;
  GListModel *members = cr_server_get_members (c->fixture->server);

  for (guint i = 0; i < g_list_model_get_n_items (members); i++)
    {
      g_autoptr(CrMember) member = g_list_model_get_item (members, i);

      if (g_str_equal (cr_member_get_name (member), c->name))
        return cr_member_get_muted (member);
    }
  return FALSE;
}

/* Issue 9: 1 000 classic members (a socket each on loopback, joined out of
 * order): the server's list changes in bursts, not once per join; the
 * owner view makes row widgets for the rows near the screen only (a list
 * box made 1 000); its rows are bound to one member after another, and the
 * search, mute and kick still act on the member shown. */
static void
test_big_room (Fixture       *fixture,
               gconstpointer  data)
{
  g_autoptr(GPtrArray) sockets = g_ptr_array_new_with_free_func ((GDestroyNotify) cr_test_socket_free);
  g_autoptr(GSocketAddress) room = cr_test_socket_address ("127.0.0.1",
                                                          cr_server_get_port (fixture->server));
  GListModel *members = cr_server_get_members (fixture->server);
  GtkWidget *search = cr_test_ui_find_type (GTK_WIDGET (fixture->page), GTK_TYPE_SEARCH_ENTRY);
  GtkAdjustment *adj;
  CountCond all = { fixture, BIG_ROOM };
  CountCond all_but_one = { fixture, BIG_ROOM - 1 };
  CountCond one = { fixture, 1 };
  RowCond first = { fixture, "s1" };
  RowCond last = { fixture, "s1000" };
  RowCond target = { fixture, "s537" };
  GListModel *shown = G_LIST_MODEL (gtk_list_view_get_model (find_members_list (fixture)));
  guint n_changes = 0;
  guint n_rows = 0;
  guint largest = 0;

  g_signal_connect (members, "items-changed", G_CALLBACK (on_big_room_changed), &n_changes);
  g_signal_connect (shown, "items-changed", G_CALLBACK (on_shown_changed), &largest);
  /* Every join line is sent before the room reads any. */
  for (guint i = 0; i < BIG_ROOM; i++)
    {
      CrTestSocket *sock = cr_test_socket_new ("127.0.0.1");
      g_autofree char *line = g_strdup_printf ("N s%u", (i * 7) % BIG_ROOM + 1);

      cr_test_socket_send_text (sock, room, line);
      g_ptr_array_add (sockets, sock);
    }
  cr_test_assert_wait (server_has_members, &all, 60000);
  cr_test_assert_wait (rows_counted, &all, WAIT_MS);
  cr_test_assert_wait (row_present, &first, WAIT_MS);
  g_signal_handlers_disconnect_by_data (members, &n_changes);
  /* One change per turn of the loop that took joins, not one per join. */
  g_test_message ("%u joins: %u changes to the list, the view's largest %u", BIG_ROOM,
                  n_changes, largest);
  g_assert_cmpuint (n_changes, <, BIG_ROOM / 2);
  /* The list view got the bursts a slice at a time, and ends in order. */
  g_assert_cmpuint (largest, >, 0);
  g_assert_cmpuint (largest, <=, CR_OWNER_PACED_LIST_SLICE);
  assert_shown_as_server (fixture);

  /* A screenful and the list view's margin: GTK 4.8 keeps up to 200. */
  count_member_rows (GTK_WIDGET (fixture->page), &n_rows);
  g_test_message ("%u row widgets for %u members", n_rows, BIG_ROOM);
  g_assert_cmpuint (n_rows, >, 0);
  g_assert_cmpuint (n_rows, <=, 250);

  /* Scrolled to the end: the rows made are bound to the last members. */
  adj = gtk_scrollable_get_vadjustment (GTK_SCROLLABLE (find_members_list (fixture)));
  for (guint i = 0; i < 50 && !row_present (&last); i++)
    {
      gtk_adjustment_set_value (adj, gtk_adjustment_get_upper (adj));
      cr_test_run_for (50);
    }
  g_assert_true (row_present (&last));
  n_rows = 0;
  count_member_rows (GTK_WIDGET (fixture->page), &n_rows);
  g_assert_cmpuint (n_rows, <=, 250);
  {
    g_autofree char *kick = dup_menu_target (row_of (fixture, "s1000"), "owner.kick");
    g_autofree char *tip = g_strdup_printf (_("Actions for %s"), "s999");
    GtkWidget *button = cr_test_ui_find_type (GTK_WIDGET (row_of (fixture, "s999")),
                                              GTK_TYPE_MENU_BUTTON);

    g_assert_cmpstr (kick, ==, "s1000");
    /* A row bound while scrolling sets no tooltip (each asks the X server
     * where the pointer is); the focus on its button names the member. */
    g_assert_null (gtk_widget_get_tooltip_text (button));
    gtk_widget_grab_focus (button);
    cr_test_run_for (50);
    g_assert_cmpstr (gtk_widget_get_tooltip_text (button), ==, tip);
  }

  /* Scrolled to the middle, the owner reads on while others join above
   * and below: the rows read stay where they are. */
  {
    GtkWidget *scrolled = gtk_widget_get_ancestor (GTK_WIDGET (find_members_list (fixture)),
                                                   GTK_TYPE_SCROLLED_WINDOW);
    CountCond more = { fixture, BIG_ROOM + ABOVE };
    CrOwnerMemberRow *row;
    g_autofree char *name = NULL;
    double y = G_MAXDOUBLE, y_after = G_MAXDOUBLE;

    gtk_adjustment_set_value (adj, gtk_adjustment_get_upper (adj) / 2);
    cr_test_run_for (200);
    row = top_row (scrolled, scrolled, &y);
    g_assert_nonnull (row);
    name = g_strdup (cr_member_get_name (cr_owner_member_row_get_member (row)));
    for (guint i = 0; i < ABOVE; i++)
      {
        CrTestSocket *sock = cr_test_socket_new ("127.0.0.1");
        /* In one burst: half of them listed above, half at the end. */
        g_autofree char *line = g_strdup_printf ("N %c%u", i % 2 ? 'z' : 'a', i + 1);

        cr_test_socket_send_text (sock, room, line);
        g_ptr_array_add (sockets, sock);
      }
    largest = 0;
    cr_test_assert_wait (server_has_members, &more, WAIT_MS);
    cr_test_assert_wait (rows_counted, &more, WAIT_MS);
    cr_test_run_for (200);
    g_signal_handlers_disconnect_by_data (shown, &largest);
    g_assert_cmpuint (largest, <=, CR_OWNER_PACED_LIST_SLICE);
    assert_shown_as_server (fixture);
    row = top_row (scrolled, scrolled, &y_after);
    g_assert_nonnull (row);
    g_test_message ("top row %s at %.0f px, after %u joins above: %s at %.0f px", name, y,
                    ABOVE, cr_member_get_name (cr_owner_member_row_get_member (row)), y_after);
    g_assert_cmpstr (cr_member_get_name (cr_owner_member_row_get_member (row)), ==, name);
    g_assert_cmpfloat_with_epsilon (y_after, y, 1.0);
    save_screenshot (fixture, "owner-1000-members");
  }
  all_but_one.n = BIG_ROOM + ABOVE - 1;

  /* Found by the search; muted and kicked from its own row's menu. */
  gtk_editable_set_text (GTK_EDITABLE (search), "s537");
  cr_test_assert_wait (rows_counted, &one, WAIT_MS);
  cr_test_assert_wait (row_present, &target, WAIT_MS);
  act_from_row_menu (row_of (fixture, "s537"), "owner.mute", "s537");
  cr_test_assert_wait (member_muted, &target, WAIT_MS);
  cr_test_assert_wait (row_muted, &target, WAIT_MS);
  act_from_row_menu (row_of (fixture, "s537"), "owner.kick", "s537");
  cr_test_assert_wait (server_has_members, &all_but_one, WAIT_MS);
  cr_test_assert_wait (row_absent, &target, WAIT_MS);
  {
    g_autoptr(GPtrArray) names = NULL;

    gtk_editable_set_text (GTK_EDITABLE (search), "");
    cr_test_assert_wait (rows_counted, &all_but_one, WAIT_MS);
    names = dup_row_names (fixture);
    for (guint i = 0; i < names->len; i++)
      g_assert_cmpstr (names->pdata[i], !=, "s537");
  }
  g_assert_false (member_muted (&first));

  for (guint i = 0; i < sockets->len; i++)
    cr_test_socket_send_text (sockets->pdata[i], room, "Q");
}

int
main (int   argc,
      char *argv[])
{
  cr_locale_init ();
  cr_test_ui_require_display ();
  gtk_test_init (&argc, &argv, NULL);
  adw_init ();

  g_test_add_func ("/chatroom/owner-page/natural-order", test_natural_order);
  g_test_add_func ("/chatroom/owner-page/paced-list", test_paced_list);

#define ADD(name, func) \
  g_test_add ("/chatroom/owner-page/" name, Fixture, NULL, fixture_set_up, func, fixture_tear_down)
  ADD ("members", test_members);
  ADD ("mute-and-kick", test_mute_and_kick);
  ADD ("ban-asks-first", test_ban_asks_first);
  ADD ("unban", test_unban);
  ADD ("refusal-is-shown", test_refusal_is_shown);
  ADD ("announce", test_announce);
  ADD ("settings-apply", test_settings_apply);
  ADD ("stop-requested", test_stop_requested);
  ADD ("keyboard", test_keyboard);
  ADD ("rows-follow-model", test_rows_follow_model);
  ADD ("room-name-bound", test_room_name_bound);
  ADD ("rename-hides-apply", test_rename_hides_apply);
  ADD ("this-computer", test_this_computer);
  ADD ("room-key", test_room_key);
  ADD ("classic-badge", test_classic_badge);
  ADD ("narrow", test_narrow);
  ADD ("two-hundred", test_two_hundred);
  g_test_add ("/chatroom/owner-page/big-room", Fixture, GUINT_TO_POINTER (BIG_ROOM + ABOVE + 1),
              fixture_set_up, test_big_room, fixture_tear_down);
  ADD ("storage-banner", test_storage_banner);
  ADD ("storage-recovers", test_storage_recovers);
  ADD ("locked-names", test_locked_names);
  ADD ("console", test_console);
  ADD ("limits", test_limits);
  ADD ("class-controls", test_class_controls);
#undef ADD

  return g_test_run ();
}
