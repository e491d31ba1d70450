// ztunnel_sockopt: the small, vetted native helper of @amesh/ztunnel.
//
// It does exactly four things on a socket file descriptor that Node already owns, and nothing else:
//   setTransparent(fd)        IP_TRANSPARENT (and IPV6_TRANSPARENT on IPv6 sockets): accept TPROXY'd connections
//   setFreebind(fd)           IP_FREEBIND (and IPV6_FREEBIND): bind to an address that is not (yet) local
//   setMark(fd, mark)         SO_MARK: the packet mark (needs CAP_NET_ADMIN)
//   originalDst(fd)           getsockopt SO_ORIGINAL_DST / IP6T_SO_ORIGINAL_DST: the pre-NAT destination, or null
//   getTransparent(fd)        read IP_TRANSPARENT back (tests)
//   bindSocket(addr, port, flags, mark)
//                             a new non-blocking TCP socket with SO_REUSEADDR, optionally SO_REUSEPORT (flag 1),
//                             IP_TRANSPARENT (2), IP_FREEBIND (4) and SO_MARK (mark >= 0) set *before* bind(), bound
//                             to addr:port (IPv6 sockets are dual-stack); returns { fd, port } and leaves listen() to
//                             Node (`server.listen({ fd })`). The multi-worker mode binds one such socket per worker
//                             thread on the same address so the kernel spreads connections across the workers.
// Every failure throws an Error whose `code` is the errno name (EPERM, EBADF, ENOPROTOOPT, ...), so the caller maps
// it into its own error registry. No memory is retained between calls; no threads; no callbacks.
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <string.h>
#include <stdio.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <linux/netfilter_ipv4.h>
#include <node_api.h>

#ifndef IP_TRANSPARENT
#define IP_TRANSPARENT 19
#endif
#ifndef IPV6_TRANSPARENT
#define IPV6_TRANSPARENT 75
#endif
#ifndef IP_FREEBIND
#define IP_FREEBIND 15
#endif
#ifndef IPV6_FREEBIND
#define IPV6_FREEBIND 78
#endif
#ifndef IP6T_SO_ORIGINAL_DST
#define IP6T_SO_ORIGINAL_DST 80
#endif

static const char *errno_name(int e) {
  switch (e) {
    case EPERM: return "EPERM";
    case EBADF: return "EBADF";
    case ENOTSOCK: return "ENOTSOCK";
    case ENOPROTOOPT: return "ENOPROTOOPT";
    case EINVAL: return "EINVAL";
    case ENOENT: return "ENOENT";
    case EOPNOTSUPP: return "EOPNOTSUPP";
    case EADDRINUSE: return "EADDRINUSE";
    case EADDRNOTAVAIL: return "EADDRNOTAVAIL";
    case EACCES: return "EACCES";
    case EAFNOSUPPORT: return "EAFNOSUPPORT";
    default: return "EUNKNOWN";
  }
}

static napi_value throw_errno(napi_env env, const char *what, int e) {
  char msg[160];
  snprintf(msg, sizeof msg, "%s: %s", what, strerror(e));
  napi_throw_error(env, errno_name(e), msg);
  return NULL;
}

static int arg_int(napi_env env, napi_callback_info info, size_t want, int32_t *out) {
  size_t argc = 2;
  napi_value argv[2];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < want) {
    napi_throw_type_error(env, "EINVAL", "missing argument");
    return -1;
  }
  for (size_t i = 0; i < want; i++) {
    napi_valuetype t;
    napi_typeof(env, argv[i], &t);
    if (t != napi_number) {
      napi_throw_type_error(env, "EINVAL", "arguments must be integers");
      return -1;
    }
    napi_get_value_int32(env, argv[i], &out[i]);
  }
  if (out[0] < 0) {
    napi_throw_type_error(env, "EBADF", "fd must be a non-negative integer");
    return -1;
  }
  return 0;
}

static int socket_family(int fd) {
  struct sockaddr_storage ss;
  socklen_t len = sizeof ss;
  if (getsockname(fd, (struct sockaddr *)&ss, &len) != 0) return -1;
  return ss.ss_family;
}

// Sets an IPv4-level option, plus the IPv6 one on IPv6 sockets (dual-stack sockets need both for IPv4 traffic).
static napi_value set_ip_flag(napi_env env, napi_callback_info info, int v4opt, int v6opt, const char *name) {
  int32_t a[1];
  if (arg_int(env, info, 1, a) != 0) return NULL;
  int fd = a[0], one = 1;
  int family = socket_family(fd);
  if (family < 0) return throw_errno(env, name, errno);
  if (family == AF_INET6) {
    if (setsockopt(fd, SOL_IPV6, v6opt, &one, sizeof one) != 0) return throw_errno(env, name, errno);
    // best effort for IPv4-mapped traffic on a dual-stack socket
    (void)setsockopt(fd, SOL_IP, v4opt, &one, sizeof one);
  } else if (family == AF_INET) {
    if (setsockopt(fd, SOL_IP, v4opt, &one, sizeof one) != 0) return throw_errno(env, name, errno);
  } else {
    return throw_errno(env, name, EOPNOTSUPP);
  }
  napi_value ok;
  napi_get_boolean(env, true, &ok);
  return ok;
}

static napi_value set_transparent(napi_env env, napi_callback_info info) {
  return set_ip_flag(env, info, IP_TRANSPARENT, IPV6_TRANSPARENT, "IP_TRANSPARENT");
}

static napi_value set_freebind(napi_env env, napi_callback_info info) {
  return set_ip_flag(env, info, IP_FREEBIND, IPV6_FREEBIND, "IP_FREEBIND");
}

static napi_value get_transparent(napi_env env, napi_callback_info info) {
  int32_t a[1];
  if (arg_int(env, info, 1, a) != 0) return NULL;
  int fd = a[0], v = 0;
  socklen_t len = sizeof v;
  int family = socket_family(fd);
  if (family < 0) return throw_errno(env, "IP_TRANSPARENT", errno);
  int rc = family == AF_INET6 ? getsockopt(fd, SOL_IPV6, IPV6_TRANSPARENT, &v, &len)
                              : getsockopt(fd, SOL_IP, IP_TRANSPARENT, &v, &len);
  if (rc != 0) return throw_errno(env, "IP_TRANSPARENT", errno);
  napi_value out;
  napi_get_boolean(env, v != 0, &out);
  return out;
}

static napi_value set_mark(napi_env env, napi_callback_info info) {
  int32_t a[2];
  if (arg_int(env, info, 2, a) != 0) return NULL;
  uint32_t mark = (uint32_t)a[1];
  if (setsockopt(a[0], SOL_SOCKET, SO_MARK, &mark, sizeof mark) != 0) return throw_errno(env, "SO_MARK", errno);
  napi_value ok;
  napi_get_boolean(env, true, &ok);
  return ok;
}

static napi_value original_dst(napi_env env, napi_callback_info info) {
  int32_t a[1];
  if (arg_int(env, info, 1, a) != 0) return NULL;
  int fd = a[0];
  struct sockaddr_storage ss;
  socklen_t len = sizeof ss;
  memset(&ss, 0, sizeof ss);
  int family = socket_family(fd);
  if (family < 0) return throw_errno(env, "SO_ORIGINAL_DST", errno);
  int rc = getsockopt(fd, SOL_IP, SO_ORIGINAL_DST, &ss, &len);
  if (rc != 0 && family == AF_INET6) {
    len = sizeof ss;
    rc = getsockopt(fd, SOL_IPV6, IP6T_SO_ORIGINAL_DST, &ss, &len);
  }
  napi_value out;
  if (rc != 0) {  // no conntrack entry (not NATed): the caller falls back to the local address
    napi_get_null(env, &out);
    return out;
  }
  char buf[INET6_ADDRSTRLEN] = {0};
  int port = 0;
  if (ss.ss_family == AF_INET) {
    struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
    inet_ntop(AF_INET, &s4->sin_addr, buf, sizeof buf);
    port = ntohs(s4->sin_port);
  } else if (ss.ss_family == AF_INET6) {
    struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
    inet_ntop(AF_INET6, &s6->sin6_addr, buf, sizeof buf);
    port = ntohs(s6->sin6_port);
  } else {
    napi_get_null(env, &out);
    return out;
  }
  napi_value addr, p;
  napi_create_object(env, &out);
  napi_create_string_utf8(env, buf, NAPI_AUTO_LENGTH, &addr);
  napi_create_int32(env, port, &p);
  napi_set_named_property(env, out, "address", addr);
  napi_set_named_property(env, out, "port", p);
  return out;
}

#define BIND_REUSEPORT 1
#define BIND_TRANSPARENT 2
#define BIND_FREEBIND 4

static napi_value bind_socket(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 4) {
    napi_throw_type_error(env, "EINVAL", "bindSocket(address, port, flags, mark) needs four arguments");
    return NULL;
  }
  char addr[INET6_ADDRSTRLEN + 1] = {0};
  size_t alen = 0;
  if (napi_get_value_string_utf8(env, argv[0], addr, sizeof addr, &alen) != napi_ok) {
    napi_throw_type_error(env, "EINVAL", "address must be a string");
    return NULL;
  }
  int32_t port = 0, flags = 0, mark = -1;
  if (napi_get_value_int32(env, argv[1], &port) != napi_ok || napi_get_value_int32(env, argv[2], &flags) != napi_ok ||
      napi_get_value_int32(env, argv[3], &mark) != napi_ok || port < 0 || port > 65535) {
    napi_throw_type_error(env, "EINVAL", "port, flags and mark must be integers (port 0..65535)");
    return NULL;
  }
  struct sockaddr_storage ss;
  socklen_t slen;
  memset(&ss, 0, sizeof ss);
  int family;
  struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
  struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
  if (inet_pton(AF_INET, addr, &s4->sin_addr) == 1) {
    family = AF_INET;
    s4->sin_family = AF_INET;
    s4->sin_port = htons((uint16_t)port);
    slen = sizeof *s4;
  } else if (inet_pton(AF_INET6, addr, &s6->sin6_addr) == 1) {
    family = AF_INET6;
    s6->sin6_family = AF_INET6;
    s6->sin6_port = htons((uint16_t)port);
    slen = sizeof *s6;
  } else {
    napi_throw_type_error(env, "EINVAL", "address must be an IPv4 or IPv6 literal");
    return NULL;
  }
  int fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return throw_errno(env, "socket", errno);
  int one = 1, zero = 0;
  const char *what = NULL;
  if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0) what = "SO_REUSEADDR";
  else if ((flags & BIND_REUSEPORT) && setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) != 0) what = "SO_REUSEPORT";
  else if (family == AF_INET6 && setsockopt(fd, SOL_IPV6, IPV6_V6ONLY, &zero, sizeof zero) != 0) what = "IPV6_V6ONLY";
  else if ((flags & BIND_TRANSPARENT) &&
           (family == AF_INET6 ? setsockopt(fd, SOL_IPV6, IPV6_TRANSPARENT, &one, sizeof one)
                               : setsockopt(fd, SOL_IP, IP_TRANSPARENT, &one, sizeof one)) != 0) what = "IP_TRANSPARENT";
  else if ((flags & BIND_FREEBIND) &&
           (family == AF_INET6 ? setsockopt(fd, SOL_IPV6, IPV6_FREEBIND, &one, sizeof one)
                               : setsockopt(fd, SOL_IP, IP_FREEBIND, &one, sizeof one)) != 0) what = "IP_FREEBIND";
  else if (mark >= 0 && setsockopt(fd, SOL_SOCKET, SO_MARK, &mark, sizeof mark) != 0) what = "SO_MARK";
  else if (bind(fd, (struct sockaddr *)&ss, slen) != 0) what = "bind";
  if (what != NULL) {
    int e = errno;
    close(fd);
    return throw_errno(env, what, e);
  }
  if (family == AF_INET6 && (flags & BIND_TRANSPARENT)) (void)setsockopt(fd, SOL_IP, IP_TRANSPARENT, &one, sizeof one);
  struct sockaddr_storage bound;
  socklen_t blen = sizeof bound;
  int bport = port;
  if (getsockname(fd, (struct sockaddr *)&bound, &blen) == 0) {
    bport = bound.ss_family == AF_INET6 ? ntohs(((struct sockaddr_in6 *)&bound)->sin6_port) : ntohs(((struct sockaddr_in *)&bound)->sin_port);
  }
  napi_value out, vfd, vport;
  napi_create_object(env, &out);
  napi_create_int32(env, fd, &vfd);
  napi_create_int32(env, bport, &vport);
  napi_set_named_property(env, out, "fd", vfd);
  napi_set_named_property(env, out, "port", vport);
  return out;
}

static napi_value close_fd(napi_env env, napi_callback_info info) {
  int32_t a[1];
  if (arg_int(env, info, 1, a) != 0) return NULL;
  if (close(a[0]) != 0) return throw_errno(env, "close", errno);
  napi_value ok;
  napi_get_boolean(env, true, &ok);
  return ok;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
    {"setTransparent", NULL, set_transparent, NULL, NULL, NULL, napi_enumerable, NULL},
    {"setFreebind", NULL, set_freebind, NULL, NULL, NULL, napi_enumerable, NULL},
    {"getTransparent", NULL, get_transparent, NULL, NULL, NULL, napi_enumerable, NULL},
    {"setMark", NULL, set_mark, NULL, NULL, NULL, napi_enumerable, NULL},
    {"originalDst", NULL, original_dst, NULL, NULL, NULL, napi_enumerable, NULL},
    {"bindSocket", NULL, bind_socket, NULL, NULL, NULL, napi_enumerable, NULL},
    {"closeFd", NULL, close_fd, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
