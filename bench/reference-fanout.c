/* reference-fanout.c: the best one core can do with a room's fan-out
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * What chatroomd is measured against (bench/README.md, bench/run): a
 * single-threaded UDP relay with nothing but the fan-out in it. It speaks
 * just enough of the classic dialect for bench/chatroom-bench.c: "N name"
 * makes the source address a member and answers "OK", "Q name" removes it,
 * and any "M name text" datagram is sent as it came to every member
 * (encoded once: the same bytes for all). Reads with recvmmsg, writes with
 * sendmmsg (BATCH datagrams a call), socket buffers of 4 MiB (forced when
 * root may). No history, no names, no acks, no allocation per delivery.
 *
 *   reference-fanout PORT [MAX_MEMBERS]
 *
 * Binds 127.0.0.1 only. Runs until SIGTERM or SIGINT.
 */
#define _GNU_SOURCE

#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <arpa/inet.h>
#include <unistd.h>

#define BATCH        64
#define DATAGRAM_MAX 2048
#define BUFFER_BYTES (4 * 1024 * 1024)

static volatile sig_atomic_t stop;

static void
on_signal (int signum)
{
  (void) signum;
  stop = 1;
}

static void
size_buffer (int         fd,
             int         option,
             int         force_option,
             const char *what)
{
  int size = BUFFER_BYTES;
  int got = 0;
  socklen_t len = sizeof got;

  if (setsockopt (fd, SOL_SOCKET, force_option, &size, sizeof size) != 0)
    setsockopt (fd, SOL_SOCKET, option, &size, sizeof size);
  getsockopt (fd, SOL_SOCKET, option, &got, &len);
  /* Linux reports twice what it was asked (its bookkeeping). */
  if (got / 2 < size)
    fprintf (stderr, "reference-fanout: %s buffer is %d bytes, asked %d "
             "(net.core.%cmem_max caps it)\n", what, got / 2, size, what[0] == 'r' ? 'r' : 'w');
}

static int
same_address (const struct sockaddr_in *a,
              const struct sockaddr_in *b)
{
  return a->sin_port == b->sin_port && a->sin_addr.s_addr == b->sin_addr.s_addr;
}

int
main (int   argc,
      char *argv[])
{
  static unsigned char in_buffers[BATCH][DATAGRAM_MAX];
  static struct sockaddr_in from[BATCH];
  struct mmsghdr in_msgs[BATCH];
  struct iovec in_iov[BATCH];
  struct mmsghdr out_msgs[BATCH];
  struct iovec out_iov;
  struct sockaddr_in addr = { 0 };
  struct sockaddr_in *members;
  unsigned long n_members = 0, max_members = 100000;
  int fd;

  if (argc < 2)
    {
      fprintf (stderr, "usage: reference-fanout PORT [MAX_MEMBERS]\n");
      return 2;
    }
  if (argc > 2)
    max_members = strtoul (argv[2], NULL, 10);
  members = calloc (max_members, sizeof *members);

  signal (SIGTERM, on_signal);
  signal (SIGINT, on_signal);

  fd = socket (AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
  addr.sin_family = AF_INET;
  addr.sin_port = htons ((unsigned short) atoi (argv[1]));
  addr.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
  if (fd < 0 || bind (fd, (struct sockaddr *) &addr, sizeof addr) != 0)
    {
      perror ("reference-fanout: bind");
      return 1;
    }
  size_buffer (fd, SO_RCVBUF, SO_RCVBUFFORCE, "receive");
  size_buffer (fd, SO_SNDBUF, SO_SNDBUFFORCE, "send");

  for (int i = 0; i < BATCH; i++)
    {
      in_iov[i] = (struct iovec) { in_buffers[i], DATAGRAM_MAX };
      in_msgs[i].msg_hdr = (struct msghdr) { &from[i], sizeof from[i], &in_iov[i], 1,
                                             NULL, 0, 0 };
    }

  while (!stop)
    {
      struct pollfd pfd = { fd, POLLIN, 0 };
      int n;

      if (poll (&pfd, 1, 200) <= 0)
        continue;
      for (int i = 0; i < BATCH; i++)
        in_msgs[i].msg_hdr.msg_namelen = sizeof from[i];
      n = recvmmsg (fd, in_msgs, BATCH, 0, NULL);
      if (n <= 0)
        continue;

      for (int i = 0; i < n; i++)
        {
          unsigned char *data = in_buffers[i];
          unsigned int len = in_msgs[i].msg_len;

          if (len >= 2 && data[0] == 'N' && data[1] == ' ')
            {
              unsigned long j;

              for (j = 0; j < n_members && !same_address (&members[j], &from[i]); j++)
                ;
              if (j == n_members && n_members < max_members)
                members[n_members++] = from[i];
              sendto (fd, "OK", 2, 0, (struct sockaddr *) &from[i], sizeof from[i]);
            }
          else if (len >= 2 && data[0] == 'Q' && data[1] == ' ')
            {
              for (unsigned long j = 0; j < n_members; j++)
                if (same_address (&members[j], &from[i]))
                  {
                    members[j] = members[--n_members];
                    break;
                  }
            }
          else if (len >= 2 && data[0] == 'M' && data[1] == ' ')
            {
              /* One buffer for every member: encoded once. */
              out_iov = (struct iovec) { data, len };
              for (unsigned long j = 0; j < n_members; )
                {
                  int batch = 0, sent;

                  for (; batch < BATCH && j + batch < n_members; batch++)
                    out_msgs[batch].msg_hdr = (struct msghdr) {
                      &members[j + batch], sizeof members[j + batch], &out_iov, 1, NULL, 0, 0 };
                  sent = sendmmsg (fd, out_msgs, batch, 0);
                  if (sent <= 0)
                    {
                      if (errno == EAGAIN)
                        {
                          /* A full send buffer: wait for room, as a room must. */
                          struct pollfd wfd = { fd, POLLOUT, 0 };
                          poll (&wfd, 1, 10);
                          continue;
                        }
                      sent = 1;   /* skip what the kernel refused */
                    }
                  j += (unsigned long) sent;
                }
            }
        }
    }

  free (members);
  close (fd);
  return 0;
}
