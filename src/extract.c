/*
 * extract.c - --extract DIR: messages to .eml files (see extract.h).
 *
 * Every file is opened relative to the directory's descriptor with
 * O_EXCL | O_NOFOLLOW: a file or symlink already there is never written
 * through or replaced. A failure (name taken, disk full, no descriptors)
 * loses that one message's file, never the analysis: the first is named
 * on stderr, the rest counted.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "smtpscope/extract.h"

struct extract_dir {
    int fd;
    char *path;
    uint64_t failed;
};

extract_dir *extract_dir_open(const char *path, char *err, size_t errlen)
{
    extract_dir *d;
    struct stat st;

    if (mkdir(path, 0700) < 0 && errno != EEXIST) {
        snprintf(err, errlen, "cannot create --extract directory '%s': %s",
                 path, strerror(errno));
        return NULL;
    }
    d = calloc(1, sizeof(*d));
    if (d == NULL || (d->path = strdup(path)) == NULL) {
        free(d);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    d->fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (d->fd < 0 || fstat(d->fd, &st) < 0) {
        snprintf(err, errlen, "cannot open --extract directory '%s': %s",
                 path, strerror(errno));
        if (d->fd >= 0)
            close(d->fd);
        free(d->path);
        free(d);
        return NULL;
    }
    return d;
}

void extract_dir_close(extract_dir *d)
{
    if (d == NULL)
        return;
    if (d->failed > 1)
        fprintf(stderr, "smtpscope: warning: --extract: %llu messages could "
                "not be written to '%s'\n", (unsigned long long)d->failed,
                d->path);
    close(d->fd);
    free(d->path);
    free(d);
}

static void failure(extract_dir *d, const char *what, const char *name)
{
    if (d->failed++ == 0)
        fprintf(stderr, "smtpscope: warning: --extract: %s '%s/%s': %s\n",
                what, d->path, name, strerror(errno));
}

void extract_begin(extract_dir *d, extract_msg *m, const char *uid, int txn,
                   int again)
{
    char partial[sizeof(m->name) + 8];
    int fd;

    if (d == NULL)
        return;
    if (m->f != NULL)
        extract_end(d, m, false);
    if (again > 1)
        snprintf(m->name, sizeof(m->name), "%s-%d-%d.eml", uid, txn, again);
    else
        snprintf(m->name, sizeof(m->name), "%s-%d.eml", uid, txn);
    snprintf(partial, sizeof(partial), "%s.partial", m->name);
    fd = openat(d->fd, partial,
                O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) {
        failure(d, "cannot create", partial);
        return;
    }
    m->f = fdopen(fd, "wb");
    if (m->f == NULL) {
        failure(d, "cannot write", partial);
        close(fd);
    }
}

void extract_data(extract_dir *d, extract_msg *m, const uint8_t *p, size_t n)
{
    if (d == NULL || m->f == NULL)
        return;
    if (fwrite(p, 1, n, m->f) != n) {
        failure(d, "cannot write", m->name);
        fclose(m->f);
        m->f = NULL;            /* what was written stays as .partial */
    }
}

void extract_end(extract_dir *d, extract_msg *m, bool complete)
{
    char partial[sizeof(m->name) + 8];

    if (d == NULL || m->f == NULL)
        return;
    snprintf(partial, sizeof(partial), "%s.partial", m->name);
    if (fclose(m->f) != 0) {
        m->f = NULL;
        failure(d, "cannot write", partial);
        return;
    }
    m->f = NULL;
    if (!complete)
        return;
    /* link, not rename: rename would replace a file of that name. */
    if (linkat(d->fd, partial, d->fd, m->name, 0) < 0) {
        failure(d, "cannot name", m->name);
        return;
    }
    unlinkat(d->fd, partial, 0);
}
