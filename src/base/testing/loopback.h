// Test-only: a TCP socket listening on 127.0.0.1 at a port the kernel picks, for tests that stand
// up a small server (TLS, HTTP capture) or need a port that accepts but never answers.
//
//   int port = 0;
//   int fd = testutil::ListenLoopback(&port);
//   ASSERT_GE(fd, 0);
//   ... connect to 127.0.0.1:port ...; ::close(fd);
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

namespace wharf::testutil {

// The listening socket (the caller closes it) with the chosen port in *port; -1 when socket,
// bind or listen failed.
inline int ListenLoopback(int* port, int backlog = 4) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(fd, backlog) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
    ::close(fd);
    return -1;
  }
  *port = ntohs(a.sin_port);
  return fd;
}

}  // namespace wharf::testutil
