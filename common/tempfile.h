/* tempfile: a file that exists only while it is open, for spooling a
 * message (the SMTP handler's DATA, the client's composed body). */
#ifndef TEMPFILE_H
#define TEMPFILE_H

/* An unlinked temporary file in dir, open for reading and writing, or -1
 * with errno set.  Nothing is left behind, whatever happens to the
 * process. */
int tempfile_unlinked(const char *dir);

#endif
