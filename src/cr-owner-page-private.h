/* cr-owner-page-private.h: what the owner page's files share
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The page is two files, as its two tabs: cr-owner-page.c has the status,
 * the room's tab and the page's life; cr-owner-page-members.c the
 * members' tab (the search, the list, the locked and banned names) and
 * the actions on a member.
 */
#pragma once

#include "cr-owner-paced-list.h"
#include "cr-owner-page.h"

G_BEGIN_DECLS

struct _CrOwnerPage
{
  AdwBin               parent_instance;

  /* template widgets */
  AdwToastOverlay     *toast_overlay;
  GtkRevealer         *storage_revealer;
  GtkLabel            *storage_label;
  GtkLabel            *status_title;
  GtkBox              *address_box;
  GtkLabel            *addresses_label;
  GtkLabel            *status_hint;
  GtkLabel            *key_label;
  AdwViewStack        *view_stack;
  GtkSearchEntry      *member_search;
  AdwPreferencesGroup *members_group;
  GtkStack            *members_stack;
  GtkListView         *members_list;
  GtkLabel            *members_placeholder;
  AdwPreferencesGroup *locked_group;
  GtkListBox          *locked_list;
  AdwPreferencesGroup *banned_group;
  GtkListBox          *banned_list;
  GtkEntry            *announce_entry;
  AdwEntryRow         *room_name_row;
  GtkSwitch           *require_registration_switch;
  GtkSwitch           *allow_classic_switch;
  GtkSpinButton       *history_spin;
  GtkSpinButton       *max_members_spin;
  GtkSpinButton       *file_max_size_spin;
  GtkSpinButton       *file_quota_spin;
  AdwComboRow         *share_policy_row;
  GtkSpinButton       *port_spin;
  GtkSwitch           *local_only_switch;
  GtkSwitch           *discoverable_switch;

  /* owned */
  CrServer            *server;
  GSignalGroup        *server_signals;
  GSettings           *settings;      /* NULL when the schema is not installed */
  GtkStringFilter     *member_filter; /* the search, on the member's name */
  CrOwnerPacedList    *paced;         /* the server's members, a burst in slices */
  GtkFilterListModel  *filtered;      /* paced through member_filter */
  GtkNoSelection      *selection;     /* filtered, as members_list shows it */
  char                *first_address;
  char                *count_text;    /* what members_group says now */
};


/* cr-owner-page.c */
gboolean _cr_owner_page_server_running     (CrOwnerPage       *self);
void     _cr_owner_page_show_toast         (CrOwnerPage       *self,
                                            const char        *text);
void     _cr_owner_page_show_error         (CrOwnerPage       *self,
                                            const GError      *error);

/* cr-owner-page-members.c */
void     _cr_owner_page_members_class_init (GtkWidgetClass    *widget_class);
void     _cr_owner_page_members_init       (CrOwnerPage       *self);
void     _cr_owner_page_members_dispose    (CrOwnerPage       *self);
/* Binds the lists to server's models (NULL: none). */
void     _cr_owner_page_members_set_server (CrOwnerPage       *self,
                                            CrServer          *server);
/* The count, the banned and locked groups, as the server is now. */
void     _cr_owner_page_members_update     (CrOwnerPage       *self);

G_END_DECLS
