/*
 * peercred: read the kernel-verified credentials of the process on the other
 * end of a connected Unix domain socket.
 *
 *   getPeerCred(fd: number) => { pid, uid, gid } | null
 *
 * Linux:  getsockopt(SOL_SOCKET, SO_PEERCRED) -> struct ucred.
 * macOS:  getsockopt(SOL_LOCAL, LOCAL_PEERCRED) -> struct xucred (uid, first
 *         group as gid) plus getsockopt(SOL_LOCAL, LOCAL_PEERPID) for the pid.
 * Others: always null.
 *
 * The kernel records these values when the connection is made (connect(2) or
 * socketpair(2)); the peer cannot choose them. Every failure (bad fd, not a
 * Unix socket, unsupported platform) yields null, never an exception.
 * Only node_api.h is used (Node-API version 4), so the binary is ABI-stable:
 * one build keeps loading after the Node.js version changes.
 */
#if defined(__linux__)
#define _GNU_SOURCE
#endif

#include <node_api.h>
#include <stddef.h>

#if defined(__linux__) || defined(__APPLE__)
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/un.h>
#endif
#if defined(__APPLE__)
#include <sys/ucred.h>
#endif

/* Set when the platform supplies the credentials; out-params untouched otherwise. */
static int read_peer_cred(int fd, long long *pid, unsigned int *uid, unsigned int *gid) {
#if defined(__linux__) || defined(__APPLE__)
  struct sockaddr_storage local;
  socklen_t local_len = sizeof(local);
  memset(&local, 0, sizeof(local));
  /* Only AF_UNIX sockets carry peer credentials; on a TCP socket Linux
   * answers SO_PEERCRED with placeholder values, which must not leak out. */
  if (getsockname(fd, (struct sockaddr *)&local, &local_len) != 0) return 0;
  if (local.ss_family != AF_UNIX) return 0;
#endif

#if defined(__linux__)
  struct ucred cred;
  socklen_t cred_len = sizeof(cred);
  memset(&cred, 0, sizeof(cred));
  if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &cred_len) != 0) return 0;
  if (cred_len != sizeof(cred)) return 0;
  /* An unconnected (listening) socket reports pid 0 and uid/gid -1. */
  if (cred.pid <= 0) return 0;
  *pid = (long long)cred.pid;
  *uid = (unsigned int)cred.uid;
  *gid = (unsigned int)cred.gid;
  return 1;
#elif defined(__APPLE__) && defined(LOCAL_PEERCRED) && defined(LOCAL_PEERPID)
  struct xucred xcred;
  socklen_t xcred_len = sizeof(xcred);
  memset(&xcred, 0, sizeof(xcred));
  if (getsockopt(fd, SOL_LOCAL, LOCAL_PEERCRED, &xcred, &xcred_len) != 0) return 0;
  if (xcred.cr_version != XUCRED_VERSION || xcred.cr_ngroups < 1) return 0;
  pid_t peer_pid = 0;
  socklen_t pid_len = sizeof(peer_pid);
  if (getsockopt(fd, SOL_LOCAL, LOCAL_PEERPID, &peer_pid, &pid_len) != 0) return 0;
  if (peer_pid <= 0) return 0;
  *pid = (long long)peer_pid;
  *uid = (unsigned int)xcred.cr_uid;
  *gid = (unsigned int)xcred.cr_groups[0];
  return 1;
#else
  (void)fd;
  (void)pid;
  (void)uid;
  (void)gid;
  return 0;
#endif
}

static napi_value null_value(napi_env env) {
  napi_value result = NULL;
  napi_get_null(env, &result);
  return result;
}

static napi_value get_peer_cred(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1) {
    return null_value(env);
  }
  napi_valuetype type;
  if (napi_typeof(env, argv[0], &type) != napi_ok || type != napi_number) return null_value(env);
  double fd_number = 0;
  if (napi_get_value_double(env, argv[0], &fd_number) != napi_ok) return null_value(env);
  if (!(fd_number >= 0 && fd_number <= 2147483647.0) || fd_number != (double)(int)fd_number) {
    return null_value(env);
  }

  long long pid = 0;
  unsigned int uid = 0;
  unsigned int gid = 0;
  if (!read_peer_cred((int)fd_number, &pid, &uid, &gid)) return null_value(env);

  napi_value result, pid_value, uid_value, gid_value;
  if (napi_create_object(env, &result) != napi_ok ||
      napi_create_double(env, (double)pid, &pid_value) != napi_ok ||
      napi_create_uint32(env, uid, &uid_value) != napi_ok ||
      napi_create_uint32(env, gid, &gid_value) != napi_ok ||
      napi_set_named_property(env, result, "pid", pid_value) != napi_ok ||
      napi_set_named_property(env, result, "uid", uid_value) != napi_ok ||
      napi_set_named_property(env, result, "gid", gid_value) != napi_ok) {
    return null_value(env);
  }
  return result;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_value fn;
  if (napi_create_function(env, "getPeerCred", NAPI_AUTO_LENGTH, get_peer_cred, NULL, &fn) !=
      napi_ok) {
    return NULL;
  }
  if (napi_set_named_property(env, exports, "getPeerCred", fn) != napi_ok) return NULL;
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
