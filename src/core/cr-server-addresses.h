/* cr-server-addresses.h: the addresses of a room: the one it listens on,
 * and the ones others can type to join it (CrServer)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* "host:port" ("127.0.0.1:10024", "[::1]:0", "[::]", "localhost") to a
 * socket address; the host must be an IP address (or localhost), the port
 * defaults to CR_DEFAULT_PORT. */
GSocketAddress *_cr_server_parse_listen_address (const char      *address,
                                                 GError         **error);
/* The "host:port" strings that reach a socket bound to local: local itself,
 * or for a wildcard address this machine's addresses, 127.0.0.1 last. */
GStrv           _cr_server_list_join_addresses  (GSocketAddress  *local);
/* Whether a "host:port" of that list is loopback (127.0.0.1, [::1]): it
 * reaches the room from this computer only, so the owner view names it
 * "this computer" rather than as an address to give others. */
gboolean        _cr_server_join_address_is_local (const char     *address);

G_END_DECLS
