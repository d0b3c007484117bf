/* privilege: switching to an unprivileged account, for every program
 * (the handlers' MAIL_USER, tcpspawn's -u). */
#ifndef PRIVILEGE_H
#define PRIVILEGE_H

#include <stdbool.h>

/* Become user name: its user id, group id and supplementary groups.  With
 * glibc the account is read from /etc/passwd and /etc/group directly, not
 * through NSS (getpwnam): its fallback build links the handlers statically,
 * and a static glibc binary cannot load NSS modules safely (asked for a
 * name "files" lacks, it dlopens the next source and the process crashes).
 * Other C libraries (musl) read those files in getpwnam and getgrouplist
 * themselves, so those are used.  Already being that user is success.
 * Failures are logged (log_msg); false then. */
bool privilege_drop(const char *name);

#endif
