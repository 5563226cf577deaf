/*
 * extract.h - --extract DIR: each message written as an RFC 5322 .eml
 * file, as the dissector read it (after dot-unstuffing for DATA, the
 * chunks joined for BDAT).
 *
 * Files are named UID-N.eml (the session uid, the transaction number) and
 * are written as UID-N.eml.partial while the message streams; a message
 * that ended normally is then linked to UID-N.eml (never replacing a file
 * already there) and the .partial name removed; a message cut short keeps
 * its .partial name. Files are created with O_EXCL and mode 0600, so
 * nothing is ever overwritten; the directory is created 0700 if missing.
 */
#ifndef SMTPSCOPE_EXTRACT_H
#define SMTPSCOPE_EXTRACT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

typedef struct extract_dir extract_dir;

/* Open (create 0700 if missing) the directory. Returns NULL with one line
 * in err when it cannot be used. */
extract_dir *extract_dir_open(const char *path, char *err, size_t errlen);
/* Closes the directory; says on stderr how many messages could not be
 * written (the first failure was already named). */
void extract_dir_close(extract_dir *d);

/* One message in flight; zero it before first use. */
typedef struct extract_msg {
    FILE *f;                    /* NULL: not writing (none open, or failed) */
    char name[96];              /* UID-N.eml */
} extract_msg;

/* again: 1 for the transaction's first message, 2 for a second one
 * (DATA and BDAT mixed), named UID-N-2.eml. */
void extract_begin(extract_dir *d, extract_msg *m, const char *uid, int txn,
                   int again);
void extract_data(extract_dir *d, extract_msg *m, const uint8_t *p, size_t n);
void extract_end(extract_dir *d, extract_msg *m, bool complete);

#endif
