/* test-conversation-ui.c: the conversation in the app (issue 14): replies
 * and recalls from a row, private conversations from the member list,
 * search and going to a result, "@" completion, the emoji chooser, older
 * history when the list reaches its top
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The real window under Xvfb, joined to a CrServer on 127.0.0.1 with its
 * store in a temporary directory, next to other members that are CrClients
 * of the test's own. The page is driven through its actions (those its
 * row and member menus and its keys activate) and its entries; the
 * assertions read the members' models and the rows on screen.
 */
#define G_LOG_DOMAIN "test-conversation-ui"

#include "config.h"

#include <string.h>

#include <glib/gi18n.h>
#include <adwaita.h>

#include "cr-render.h"
#include "cr-message-row.h"
#include "cr-window.h"
#include "cr-window-private.h"
#include "cr-chat-page-private.h"
#include "cr-test-utils.h"
#include "cr-test-ui.h"

#define WAIT_MS 10000

/* --- finding things on screen -------------------------------------------- */

/* The row is laid out and entirely inside the message list's viewport. */
static gboolean
row_on_screen (GtkWidget    *list,
               CrMessageRow *row)
{
  graphene_rect_t bounds;

  return row != NULL && gtk_widget_get_mapped (GTK_WIDGET (row)) &&
         gtk_widget_compute_bounds (GTK_WIDGET (row), list, &bounds) &&
         bounds.size.height > 0 && bounds.origin.y >= -1 &&
         bounds.origin.y + bounds.size.height <= gtk_widget_get_height (list) + 1;
}

/* --- fixture --------------------------------------------------------------- */

typedef struct {
  CrTestRoom  room;
  GSettings  *settings;
  CrWindow   *window;
  CrClient   *others[3];
} Fixture;

static CrClient *
join_client (Fixture    *fixture,
             const char *name)
{
  return cr_test_ui_join (fixture->room.address, name, WAIT_MS);
}

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  fixture->settings = g_settings_new (APP_ID);
  g_settings_reset (fixture->settings, "last-address");
  g_settings_reset (fixture->settings, "nickname");
  g_settings_set_uint (fixture->settings, "owner-port", cr_test_free_udp_port ());
  g_settings_set_boolean (fixture->settings, "local-only", TRUE);

  /* A store in a directory of the test's own: search and older pages
   * are the room's SQLite. No rate limit: the tests fill the history. */
  fixture->room.dir = cr_test_make_tmpdir ();
  fixture->room.server = cr_server_new (fixture->room.dir, "Test room");
  g_object_set (fixture->room.server, "rate-limit", 0, NULL);
  g_assert_true (cr_server_start (fixture->room.server, "127.0.0.1:0", &error));
  g_assert_no_error (error);
  fixture->room.port = cr_server_get_port (fixture->room.server);
  fixture->room.address = cr_test_address ("127.0.0.1", fixture->room.port);
  fixture->room.socket_address = cr_test_socket_address ("127.0.0.1", fixture->room.port);

  fixture->window = cr_window_new (NULL);
  gtk_window_set_default_size (GTK_WINDOW (fixture->window), 900, 600);
  gtk_window_present (GTK_WINDOW (fixture->window));
  WAIT_FOR (gtk_widget_get_mapped (GTK_WIDGET (fixture->window)), WAIT_MS);
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  data)
{
  CrWindow *window = fixture->window;

  g_object_add_weak_pointer (G_OBJECT (window), (gpointer *) &window);
  gtk_window_destroy (GTK_WINDOW (fixture->window));
  fixture->window = NULL;
  WAIT_FOR (window == NULL, WAIT_MS);

  for (guint i = 0; i < G_N_ELEMENTS (fixture->others); i++)
    if (fixture->others[i] != NULL)
      {
        cr_client_leave (fixture->others[i]);
        WAIT_FOR (cr_client_get_state (fixture->others[i]) == CR_CLIENT_CLOSED, WAIT_MS);
        g_clear_object (&fixture->others[i]);
      }

  cr_test_room_clear (&fixture->room);
  g_clear_object (&fixture->settings);
  cr_test_run_for (200);
}

static CrChatPage *
chat_page (Fixture *fixture)
{
  return _cr_window_get_chat_page (fixture->window);
}

static GtkWidget *
message_list (Fixture *fixture)
{
  return GTK_WIDGET (chat_page (fixture)->message_list);
}

static CrClient *
own_client (Fixture *fixture)
{
  return _cr_window_get_client (fixture->window);
}

static void
join_room (Fixture    *fixture,
           const char *name)
{
  CrLoginPage *login = _cr_window_get_login_page (fixture->window);

  cr_login_page_set_address (login, fixture->room.address);
  cr_login_page_set_nickname (login, name);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (login), "login.join", NULL));
  WAIT_FOR (g_strcmp0 (_cr_window_get_visible_page (fixture->window), "chat") == 0 ||
            cr_login_page_get_error (login)[0] != '\0', WAIT_MS);
  g_assert_cmpstr (cr_login_page_get_error (login), ==, "");
  WAIT_FOR (cr_client_get_state (own_client (fixture)) == CR_CLIENT_CONNECTED, WAIT_MS);
}

static char *
entry_text (Fixture *fixture)
{
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (chat_page (fixture)->entry);
  GtkTextIter start, end;

  gtk_text_buffer_get_bounds (buffer, &start, &end);
  return gtk_text_buffer_get_text (buffer, &start, &end, FALSE);
}

static void
type_and_send (Fixture    *fixture,
               const char *text)
{
  CrChatPage *chat = chat_page (fixture);

  gtk_text_buffer_set_text (gtk_text_view_get_buffer (chat->entry), text, -1);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (chat), "chat.send", NULL));
}

/* The newest message of client whose text is text (borrowed), or NULL. */
static CrMessage *
find_message (CrClient   *client,
              const char *text)
{
  GListModel *messages = cr_client_get_messages (client);

  for (guint i = g_list_model_get_n_items (messages); i > 0; i--)
    {
      g_autoptr(CrMessage) message = g_list_model_get_item (messages, i - 1);

      if (g_strcmp0 (cr_message_get_text (message), text) == 0)
        return message;   /* the model keeps it */
    }

  return NULL;
}

static CrMessage *
find_sent (CrClient   *client,
           const char *text)
{
  CrMessage *message = find_message (client, text);

  return message != NULL && cr_message_get_seq (message) > 0 ? message : NULL;
}

/* Send count lines "prefix N" (N from 0) from client and wait until the
 * room has them all. */
static void
send_lines (CrClient   *client,
            const char *prefix,
            guint       count)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *last = g_strdup_printf ("%s %u", prefix, count - 1);

  for (guint i = 0; i < count; i++)
    {
      g_autofree char *text = g_strdup_printf ("%s %u", prefix, i);

      g_assert_nonnull (cr_client_send (client, text, &error));
      g_assert_no_error (error);
      if (i % 20 == 19)
        WAIT_FOR (find_sent (client, text) != NULL, WAIT_MS);
    }
  WAIT_FOR (find_sent (client, last) != NULL, WAIT_MS);
}

/* Focus the list's row of message (as the keyboard would). */
static void
focus_row (Fixture   *fixture,
           CrMessage *message)
{
  CrMessageRow *row;

  WAIT_FOR ((row = cr_test_ui_find_row (message_list (fixture), message, NULL)) != NULL, WAIT_MS);
  g_assert_true (gtk_widget_grab_focus (GTK_WIDGET (row)));
}

/* --- replies ------------------------------------------------------------- */

static gboolean
is_quote_button (GtkWidget     *widget,
                 gconstpointer  data)
{
  return GTK_IS_BUTTON (widget) && gtk_widget_has_css_class (widget, "quote");
}

static GtkWidget *
find_quote_button (GtkWidget *widget)
{
  return cr_test_ui_find (widget, is_quote_button, NULL);
}

static void
test_reply_from_row (Fixture       *fixture,
                     gconstpointer  data)
{
  CrClient *bob;
  CrMessage *original;
  CrMessage *reply;
  CrMessageRow *row;
  g_autofree char *banner = NULL;
  g_autofree char *quote = NULL;
  g_autoptr(GError) error = NULL;

  join_room (fixture, "alice");
  bob = fixture->others[0] = join_client (fixture, "bob");

  g_assert_nonnull (cr_client_send (bob, "the first line\nand a second", &error));
  WAIT_FOR ((original = find_sent (own_client (fixture), "the first line\nand a second")) != NULL,
            WAIT_MS);

  /* Alt+R on the focused row: the composer says what is answered. */
  focus_row (fixture, original);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (chat_page (fixture)),
                                             "chat.reply-focused", NULL));
  /* Translators' form, as the page builds it. */
  banner = g_strdup_printf (_("Replying to %s: %s"), "bob", "the first line");
  g_assert_true (gtk_revealer_get_reveal_child (chat_page (fixture)->reply_revealer));
  g_assert_cmpstr (gtk_label_get_text (chat_page (fixture)->reply_label), ==, banner);

  type_and_send (fixture, "my answer");
  g_assert_false (gtk_revealer_get_reveal_child (chat_page (fixture)->reply_revealer));

  /* The other member has the reply with its reference and quote. */
  WAIT_FOR ((reply = find_sent (bob, "my answer")) != NULL, WAIT_MS);
  g_assert_cmpuint (cr_message_get_reply_to (reply), ==, cr_message_get_seq (original));
  g_assert_cmpstr (cr_message_get_quote_name (reply), ==, "bob");
  g_assert_true (g_str_has_prefix (cr_message_get_quote_text (reply), "the first line"));

  /* Our row quotes the sender and the first line above the text. */
  quote = g_strdup_printf (_("%s: %s"), "bob", "the first line");
  WAIT_FOR ((row = cr_test_ui_find_row (message_list (fixture), NULL, "my answer")) != NULL &&
            g_strcmp0 (cr_message_row_get_quote (row), quote) == 0, WAIT_MS);

  /* A click on the quote goes to the original and marks it. */
  {
    GtkWidget *button = find_quote_button (GTK_WIDGET (row));

    g_assert_nonnull (button);
    g_assert_true (gtk_widget_activate (button));
    WAIT_FOR (chat_page (fixture)->highlight_seq == cr_message_get_seq (original), WAIT_MS);
    WAIT_FOR ((row = cr_test_ui_find_row (message_list (fixture), original, NULL)) != NULL &&
              gtk_widget_has_css_class (GTK_WIDGET (row), "highlight"), WAIT_MS);
  }

  /* A cancelled reply is a plain message. */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (chat_page (fixture)), "chat.reply", "t",
                                             cr_message_get_seq (original)));
  g_assert_true (gtk_revealer_get_reveal_child (chat_page (fixture)->reply_revealer));
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (chat_page (fixture)),
                                             "chat.cancel-reply", NULL));
  type_and_send (fixture, "not an answer");
  WAIT_FOR ((reply = find_sent (bob, "not an answer")) != NULL, WAIT_MS);
  g_assert_cmpuint (cr_message_get_reply_to (reply), ==, 0);
}

/* --- recalls ------------------------------------------------------------- */

static void
test_recall_from_row (Fixture       *fixture,
                      gconstpointer  data)
{
  CrClient *bob;
  CrMessage *mine;
  CrMessage *theirs;
  CrMessage *bobs_copy;
  CrMessageRow *row;
  g_autofree char *recalled = NULL;
  g_autofree char *refusal = NULL;
  g_autoptr(GError) error = NULL;

  join_room (fixture, "alice");
  bob = fixture->others[0] = join_client (fixture, "bob");

  type_and_send (fixture, "oops, wrong room");
  WAIT_FOR ((mine = find_sent (own_client (fixture), "oops, wrong room")) != NULL, WAIT_MS);
  WAIT_FOR ((bobs_copy = find_sent (bob, "oops, wrong room")) != NULL, WAIT_MS);
  WAIT_FOR ((row = cr_test_ui_find_row (message_list (fixture), mine, NULL)) != NULL, WAIT_MS);

  /* The row's menu's "Recall": both members' rows change. */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (chat_page (fixture)), "chat.recall", "t",
                                             cr_message_get_seq (mine)));
  WAIT_FOR (cr_message_get_recalled (mine) && cr_message_get_recalled (bobs_copy), WAIT_MS);
  g_assert_cmpstr (cr_message_get_text (bobs_copy), ==, "");
  recalled = cr_message_dup_display (mine);
  g_assert_nonnull (strstr (recalled, "alice"));
  WAIT_FOR (cr_test_ui_find_row (message_list (fixture), NULL, recalled) != NULL, WAIT_MS);
  g_assert_null (cr_test_ui_find_row (message_list (fixture), NULL, "oops, wrong room"));
  g_assert_true (gtk_widget_has_css_class (GTK_WIDGET (cr_test_ui_find_row (message_list (fixture),
                                                                 NULL, recalled)),
                                           "recalled"));

  /* Someone else's message: the room refuses, the page says so in the
   * reader's language, the row stays. */
  g_assert_nonnull (cr_client_send (bob, "bob keeps this", &error));
  WAIT_FOR ((theirs = find_sent (own_client (fixture), "bob keeps this")) != NULL, WAIT_MS);
  refusal = g_strdup (_("The message was not recalled: you can take back your own messages "
                        "within 2 minutes of sending them"));
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (chat_page (fixture)), "chat.recall", "t",
                                             cr_message_get_seq (theirs)));
  WAIT_FOR (g_strcmp0 (chat_page (fixture)->recall_problem, refusal) == 0, WAIT_MS);
  g_assert_false (cr_message_get_recalled (theirs));
  WAIT_FOR (cr_test_ui_find_row (message_list (fixture), NULL, "bob keeps this") != NULL, WAIT_MS);
}

/* --- private conversations ----------------------------------------------- */

static guint
count_rows (GtkListBox *list)
{
  guint n = 0;

  while (gtk_list_box_get_row_at_index (list, n) != NULL)
    n++;
  return n;
}

static void
test_private_conversation (Fixture       *fixture,
                           gconstpointer  data)
{
  CrClient *bob;
  CrClient *carol;
  CrMessage *received;
  CrChatPage *chat;
  g_autoptr(GError) error = NULL;

  join_room (fixture, "alice");
  chat = chat_page (fixture);
  bob = fixture->others[0] = join_client (fixture, "bob");
  carol = fixture->others[1] = join_client (fixture, "carol");
  WAIT_FOR (g_list_model_get_n_items (cr_client_get_members (own_client (fixture))) == 3,
            WAIT_MS);

  /* Only the room: no list of conversations yet. */
  g_assert_false (gtk_widget_get_visible (gtk_widget_get_parent (GTK_WIDGET (chat->conversation_list))));

  /* The member list's "Message privately": the conversation beside the
   * room, saying who keeps it. */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (chat), "chat.message-privately", "s",
                                             "bob"));
  g_assert_cmpstr (chat->peer, ==, "bob");
  g_assert_true (gtk_widget_get_visible (gtk_widget_get_parent (GTK_WIDGET (chat->conversation_list))));
  g_assert_cmpuint (count_rows (chat->conversation_list), ==, 2);
  g_assert_true (gtk_widget_get_visible (chat->conversation_notice));
  g_assert_nonnull (strstr (gtk_label_get_text (GTK_LABEL (chat->conversation_notice)), "bob"));

  type_and_send (fixture, "just between us");
  WAIT_FOR ((received = find_sent (bob, "just between us")) != NULL, WAIT_MS);
  g_assert_cmpstr (cr_message_get_target (received), ==, "bob");
  g_assert_cmpstr (cr_message_get_peer (received, "bob"), ==, "alice");
  WAIT_FOR (cr_test_ui_find_row (message_list (fixture), NULL, "just between us") != NULL, WAIT_MS);

  /* Carol, in the same room, gets nothing of it. A line to the room
   * after it reaches her: anything sent before would have too. */
  g_assert_nonnull (cr_client_send (bob, "hello room", &error));
  WAIT_FOR (find_sent (carol, "hello room") != NULL, WAIT_MS);
  g_assert_null (find_message (carol, "just between us"));

  /* The room's view does not show it; the private one does not show the
   * room's lines. */
  g_assert_null (cr_test_ui_find_row (message_list (fixture), NULL, "hello room"));
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (chat), "chat.show-room", NULL));
  g_assert_null (chat->peer);
  g_assert_false (gtk_widget_get_visible (chat->conversation_notice));
  WAIT_FOR (cr_test_ui_find_row (message_list (fixture), NULL, "hello room") != NULL, WAIT_MS);
  g_assert_null (cr_test_ui_find_row (message_list (fixture), NULL, "just between us"));

  /* Bob answers privately while we read the room: an unread count. */
  g_assert_nonnull (cr_client_send_private (bob, "alice", "got it", &error));
  g_assert_no_error (error);
  WAIT_FOR (find_sent (own_client (fixture), "got it") != NULL, WAIT_MS);
  {
    GtkListBoxRow *row = gtk_list_box_get_row_at_index (chat->conversation_list, 1);

    g_assert_true (cr_test_ui_has_label (GTK_WIDGET (row), "bob"));
    g_assert_true (cr_test_ui_has_label (GTK_WIDGET (row), "1"));
    /* Alt+Down: the next conversation, bob's. */
    g_assert_true (gtk_widget_activate_action (GTK_WIDGET (chat), "chat.next-conversation",
                                               NULL));
    g_assert_cmpstr (chat->peer, ==, "bob");
    g_assert_true (gtk_list_box_get_selected_row (chat->conversation_list) == row);
    g_assert_false (cr_test_ui_has_label (GTK_WIDGET (row), "1"));
  }
  WAIT_FOR (cr_test_ui_find_row (message_list (fixture), NULL, "got it") != NULL, WAIT_MS);
  g_assert_null (find_message (carol, "got it"));
}

/* A member of the classroom dialect cannot answer privately: the
 * conversation says so, and what we send reaches them as a direct line. */
static void
test_private_classic (Fixture       *fixture,
                      gconstpointer  data)
{
  g_autoptr(CrTestSocket) dave = cr_test_socket_new ("127.0.0.1");
  CrChatPage *chat;
  g_autofree char *answer = NULL;
  g_autofree char *notice = NULL;
  gboolean received = FALSE;
  gint64 end;

  /* Dave is there first: the member list alice is given says he is
   * classic (a JOIN line does not say; cr-client-engine.c). */
  cr_test_socket_send_text (dave, fixture->room.socket_address, "N dave");
  answer = cr_test_socket_receive_text (dave, 3000);
  g_assert_cmpstr (answer, ==, "OK");
  join_room (fixture, "alice");
  chat = chat_page (fixture);
  WAIT_FOR (g_list_model_get_n_items (cr_client_get_members (own_client (fixture))) == 2,
            WAIT_MS);

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (chat), "chat.message-privately", "s",
                                             "dave"));
  notice = g_strdup_printf (_("Only you and %s see this conversation; the room’s host keeps it "
                              "like the rest of the history. %s uses a classic client: your "
                              "messages reach them, but they cannot answer you privately."),
                            "dave", "dave");
  g_assert_cmpstr (gtk_label_get_text (GTK_LABEL (chat->conversation_notice)), ==, notice);

  type_and_send (fixture, "for dave only");
  end = g_get_monotonic_time () + WAIT_MS * G_TIME_SPAN_MILLISECOND;
  while (!received && g_get_monotonic_time () < end)
    {
      g_autofree char *line = cr_test_socket_receive_text (dave, 200);

      received = line != NULL && strstr (line, "for dave only") != NULL;
    }
  g_assert_true (received);
  cr_test_socket_send_text (dave, fixture->room.socket_address, "Q x");
}

/* --- search -------------------------------------------------------------- */

static guint
n_results (CrChatPage *chat)
{
  return count_rows (chat->search_results);
}

static void
search_for (CrChatPage *chat,
            const char *words)
{
  gtk_editable_set_text (GTK_EDITABLE (chat->search_entry), "");
  gtk_editable_set_text (GTK_EDITABLE (chat->search_entry), words);
  /* The entry waits for the typing to stop; the test does not. */
  g_signal_emit_by_name (chat->search_entry, "search-changed");
}

static void
test_search_and_jump (Fixture       *fixture,
                      gconstpointer  data)
{
  CrClient *bob;
  CrChatPage *chat;
  CrMessage *target;
  CrMessageRow *row;
  GtkListBoxRow *result;
  g_autoptr(GError) error = NULL;

  /* An old message, 150 lines before the newest: not among what a member
   * is given when it joins. */
  bob = fixture->others[0] = join_client (fixture, "bob");
  send_lines (bob, "filler", 10);
  g_assert_nonnull (cr_client_send (bob, "the needle is here, 针在这句话里面", &error));
  send_lines (bob, "line", 150);

  join_room (fixture, "alice");
  chat = chat_page (fixture);
  g_assert_null (find_message (own_client (fixture), "the needle is here, 针在这句话里面"));

  /* Ctrl+F's action opens the bar; an English word finds it. */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (chat), "chat.search", NULL));
  g_assert_true (gtk_search_bar_get_search_mode (chat->search_bar));
  search_for (chat, "needle");
  WAIT_FOR (n_results (chat) == 1, WAIT_MS);

  /* So does a Chinese word inside the sentence. */
  search_for (chat, "这句话");
  WAIT_FOR (n_results (chat) == 1 &&
            cr_test_ui_has_label (GTK_WIDGET (chat->search_results), "bob"), WAIT_MS);

  /* Choosing it loads the older pages it is in, shows its row and marks
   * it. */
  result = gtk_list_box_get_row_at_index (chat->search_results, 0);
  g_signal_emit_by_name (chat->search_results, "row-activated", result);
  g_assert_false (gtk_search_bar_get_search_mode (chat->search_bar));
  WAIT_FOR ((target = find_message (own_client (fixture),
                                    "the needle is here, 针在这句话里面")) != NULL, WAIT_MS);
  WAIT_FOR ((row = cr_test_ui_find_row (message_list (fixture), target, NULL)) != NULL &&
            row_on_screen (message_list (fixture), row), WAIT_MS);
  g_assert_true (gtk_widget_has_css_class (GTK_WIDGET (row), "highlight"));
  g_assert_cmpuint (chat->highlight_seq, ==, cr_message_get_seq (target));
  g_assert_false (_cr_chat_page_get_sticky (chat));

  /* Nothing found: said under the entry. */
  search_for (chat, "nowhere-to-be-found");
  WAIT_FOR (gtk_widget_get_visible (GTK_WIDGET (chat->search_status)), WAIT_MS);
  g_assert_cmpuint (n_results (chat), ==, 0);
}

/* --- "@" completion and emoji -------------------------------------------- */

static gboolean
press (CrChatPage *chat,
       guint       keyval)
{
  gboolean handled = FALSE;

  g_signal_emit_by_name (chat->mention_keys, "key-pressed", keyval, 0, 0, &handled);
  return handled;
}

static void
type (CrChatPage *chat,
      const char *text)
{
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (chat->entry);

  for (const char *p = text; *p != '\0'; p = g_utf8_next_char (p))
    gtk_text_buffer_insert_at_cursor (buffer, p, g_utf8_next_char (p) - p);
}

static gboolean
popover_shown (CrChatPage *chat)
{
  return gtk_widget_get_visible (GTK_WIDGET (chat->mention_popover));
}

static void
test_mention_completion (Fixture       *fixture,
                         gconstpointer  data)
{
  CrChatPage *chat;
  g_autofree char *text = NULL;

  fixture->others[0] = join_client (fixture, "alice");
  fixture->others[1] = join_client (fixture, "bob");
  join_room (fixture, "carol");
  chat = chat_page (fixture);
  WAIT_FOR (g_list_model_get_n_items (cr_client_get_members (own_client (fixture))) == 3,
            WAIT_MS);

  /* "@al" lists alice; Enter puts her name in. */
  type (chat, "hi @al");
  WAIT_FOR (popover_shown (chat), WAIT_MS);
  g_assert_cmpuint (count_rows (chat->mention_list), ==, 1);
  g_assert_true (press (chat, GDK_KEY_Return));
  text = entry_text (fixture);
  g_assert_cmpstr (text, ==, "hi @alice ");
  g_assert_false (popover_shown (chat));

  /* Two names: Down moves, Tab takes; Up goes back. */
  gtk_text_buffer_set_text (gtk_text_view_get_buffer (chat->entry), "", 0);
  type (chat, "@");
  WAIT_FOR (popover_shown (chat), WAIT_MS);
  g_assert_cmpuint (count_rows (chat->mention_list), ==, 2);
  g_assert_true (press (chat, GDK_KEY_Down));
  g_assert_true (press (chat, GDK_KEY_Down));
  g_assert_true (press (chat, GDK_KEY_Up));
  g_assert_true (press (chat, GDK_KEY_Down));
  g_assert_true (press (chat, GDK_KEY_Tab));
  g_clear_pointer (&text, g_free);
  text = entry_text (fixture);
  g_assert_cmpstr (text, ==, "@bob ");

  /* Escape closes the list and leaves the text; an address is no mention;
   * a name nobody has lists nothing. Keys go on as usual then. */
  type (chat, "@b");
  WAIT_FOR (popover_shown (chat), WAIT_MS);
  g_assert_true (press (chat, GDK_KEY_Escape));
  g_assert_false (popover_shown (chat));
  g_assert_false (press (chat, GDK_KEY_Return));
  type (chat, " me@al");
  g_assert_false (popover_shown (chat));
  type (chat, " @zed");
  g_assert_false (popover_shown (chat));

  /* The emoji chooser puts its emoji at the cursor. */
  gtk_text_buffer_set_text (gtk_text_view_get_buffer (chat->entry), "ab", -1);
  {
    GtkTextBuffer *buffer = gtk_text_view_get_buffer (chat->entry);
    GtkTextIter middle;

    gtk_text_buffer_get_iter_at_offset (buffer, &middle, 1);
    gtk_text_buffer_place_cursor (buffer, &middle);
  }
  g_signal_emit_by_name (chat->emoji_chooser, "emoji-picked", "😀");
  g_clear_pointer (&text, g_free);
  text = entry_text (fixture);
  g_assert_cmpstr (text, ==, "a😀b");
}

/* --- older history ------------------------------------------------------- */

static void
test_older_on_scroll (Fixture       *fixture,
                      gconstpointer  data)
{
  CrClient *bob;
  CrChatPage *chat;
  GListModel *messages;
  GtkAdjustment *vadj;
  guint next = 0;
  gboolean saw_spinner = FALSE;
  gint64 end;

  bob = fixture->others[0] = join_client (fixture, "bob");
  send_lines (bob, "old", 180);

  join_room (fixture, "alice");
  chat = chat_page (fixture);
  messages = cr_client_get_messages (own_client (fixture));
  g_assert_null (find_message (own_client (fixture), "old 0"));
  g_assert_false (cr_client_get_history_complete (own_client (fixture)));

  /* The reader scrolls to the top, again and again: page after page
   * comes, up to the room's first message. */
  vadj = gtk_scrolled_window_get_vadjustment (chat->scroller);
  end = g_get_monotonic_time () + 30 * G_USEC_PER_SEC;
  while (!cr_client_get_history_complete (own_client (fixture)) &&
         g_get_monotonic_time () < end)
    {
      gtk_adjustment_set_value (vadj, 0);
      saw_spinner |= chat->loading_older &&
                     gtk_revealer_get_reveal_child (chat->history_revealer);
      g_main_context_iteration (NULL, FALSE);
      cr_test_run_for (20);
    }
  g_assert_true (cr_client_get_history_complete (own_client (fixture)));
  g_assert_true (saw_spinner);
  WAIT_FOR (!chat->loading_older, WAIT_MS);
  g_assert_false (gtk_revealer_get_reveal_child (chat->history_revealer));

  /* Each line once, in order. */
  for (guint i = 0; i < g_list_model_get_n_items (messages); i++)
    {
      g_autoptr(CrMessage) message = g_list_model_get_item (messages, i);
      g_autofree char *expected = g_strdup_printf ("old %u", next);

      if (g_strcmp0 (cr_message_get_text (message), expected) == 0)
        next++;
      else
        g_assert_false (g_str_has_prefix (cr_message_get_text (message), "old "));
    }
  g_assert_cmpuint (next, ==, 180);

  /* Still up: at the top of it all the first line shows, and the room is
   * not asked again. */
  WAIT_FOR ((gtk_adjustment_set_value (vadj, 0),
             row_on_screen (message_list (fixture),
                            cr_test_ui_find_row (message_list (fixture), NULL, "old 0"))), WAIT_MS);
  gtk_adjustment_set_value (vadj, 0);
  cr_test_run_for (100);
  g_assert_false (chat->loading_older);
}

/* The rows the reader sees stay where they are when a page comes in
 * above them. */
static void
test_older_keeps_place (Fixture       *fixture,
                        gconstpointer  data)
{
  CrClient *bob;
  CrChatPage *chat;
  GtkAdjustment *vadj;
  CrMessage *oldest;
  CrMessageRow *row;
  guint before;

  bob = fixture->others[0] = join_client (fixture, "bob");
  send_lines (bob, "old", 120);

  join_room (fixture, "alice");
  chat = chat_page (fixture);
  vadj = gtk_scrolled_window_get_vadjustment (chat->scroller);

  /* Up through the window to the oldest row loaded. */
  {
    g_autoptr(CrMessage) first = g_list_model_get_item (cr_client_get_messages (own_client (fixture)), 0);

    oldest = first;
  }
  before = g_list_model_get_n_items (cr_client_get_messages (own_client (fixture)));
  WAIT_FOR ((gtk_adjustment_set_value (vadj, 0),
             (row = cr_test_ui_find_row (message_list (fixture), oldest, NULL)) != NULL &&
             g_list_model_get_n_items (cr_client_get_messages (own_client (fixture))) > before),
            WAIT_MS);

  /* A page came: the row that was at the top is still in the list, with
   * the new rows above it. */
  WAIT_FOR (!chat->loading_older, WAIT_MS);
  cr_test_run_for (100);
  g_assert_cmpuint (chat->shown->start, >, 0);
  g_assert_nonnull (cr_test_ui_find_row (message_list (fixture), oldest, NULL));
}

int
main (int   argc,
      char *argv[])
{
  g_autofree char *data_home = NULL;
  int ret;

  data_home = g_dir_make_tmp ("chatroom-test-conversation-ui-XXXXXX", NULL);
  g_assert_nonnull (data_home);
  g_setenv ("XDG_DATA_HOME", data_home, TRUE);

  cr_locale_init ();
  cr_test_ui_require_display ();
  gtk_test_init (&argc, &argv, NULL);
  adw_init ();

#define ADD(path, func) \
  g_test_add ("/chatroom/conversation-ui/" path, Fixture, NULL, fixture_set_up, func, \
              fixture_tear_down)

  ADD ("reply-from-row", test_reply_from_row);
  ADD ("recall-from-row", test_recall_from_row);
  ADD ("private-conversation", test_private_conversation);
  ADD ("private-classic", test_private_classic);
  ADD ("search-and-jump", test_search_and_jump);
  ADD ("mention-completion", test_mention_completion);
  ADD ("older-on-scroll", test_older_on_scroll);
  ADD ("older-keeps-place", test_older_keeps_place);

  ret = g_test_run ();

  cr_test_remove_tree (data_home);
  return ret;
}
