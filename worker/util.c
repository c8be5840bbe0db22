
/*
 * attck-worker: exit codes, logging, growable arrays and buffers, files.
 */


#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdarg.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "progress.h"
#include "util.h"


static void attck_vlog(const char *level, const char *fmt, va_list args);
static void attck_buf_escape(attck_buf_t *b, const char *s, size_t max,
    int html);


/* what attck_buf_html() writes for the ASCII characters it escapes */
static const char  *attck_buf_entities[0x80] = {
    ['&'] = "&amp;",
    ['<'] = "&lt;",
    ['>'] = "&gt;",
    ['"'] = "&quot;",
    ['\''] = "&#39;"
};


static void
attck_vlog(const char *level, const char *fmt, va_list args)
{
    char            ts[32], msg[2048];
    time_t          now;
    struct tm       tm;
    unsigned char  *p;

    /* logfmt: one line per event, easy to grep and to ship */

    attck_progress_done();

    now = time(NULL);
    gmtime_r(&now, &tm);
    strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm);

    vsnprintf(msg, sizeof(msg), fmt, args);

    /*
     * msg holds text from sources: quotes, backslashes and control bytes
     * are escaped so that it cannot end the field or forge a line
     */

    fprintf(stderr, "ts=%s level=%s msg=\"", ts, level);

    for (p = (unsigned char *) msg; *p; p++) {
        if (*p == '"' || *p == '\\') {
            fprintf(stderr, "\\%c", *p);

        } else if (*p < 0x20 || *p == 0x7f) {
            fprintf(stderr, "\\x%02x", *p);

        } else {
            fputc(*p, stderr);
        }
    }

    fprintf(stderr, "\"\n");
}


void
attck_log(const char *level, const char *fmt, ...)
{
    va_list  args;

    va_start(args, fmt);
    attck_vlog(level, fmt, args);
    va_end(args);
}


void
attck_fatal(int code, const char *fmt, ...)
{
    va_list  args;

    va_start(args, fmt);
    attck_vlog("error", fmt, args);
    va_end(args);

    exit(code);
}


void *
attck_xmalloc(size_t size)
{
    void  *p;

    p = malloc(size ? size : 1);
    if (p == NULL) {
        attck_fatal(ATTCK_EXIT_SOFTWARE, "out of memory (%zu bytes)", size);
    }

    return p;
}


void *
attck_xcalloc(size_t n, size_t size)
{
    void  *p;

    p = calloc(n ? n : 1, size ? size : 1);
    if (p == NULL) {
        attck_fatal(ATTCK_EXIT_SOFTWARE, "out of memory (%zu x %zu bytes)",
                    n, size);
    }

    return p;
}


char *
attck_xstrdup(const char *s)
{
    size_t  len;
    char   *p;

    len = strlen(s) + 1;
    p = attck_xmalloc(len);
    memcpy(p, s, len);

    return p;
}


void
attck_vec_init(attck_vec_t *v, size_t size)
{
    v->data = NULL;
    v->n = 0;
    v->cap = 0;
    v->size = size;
}


void *
attck_vec_push(attck_vec_t *v)
{
    void  *p;

    if (v->n == v->cap) {
        v->cap = v->cap ? v->cap * 2 : 16;
        p = realloc(v->data, v->cap * v->size);
        if (p == NULL) {
            attck_fatal(ATTCK_EXIT_SOFTWARE, "out of memory");
        }
        v->data = p;
    }

    p = (char *) v->data + v->n++ * v->size;
    memset(p, 0, v->size);

    return p;
}


/* n more elements at once; the vector's element size times n bytes */

void
attck_vec_append(attck_vec_t *v, const void *data, size_t n)
{
    void  *p;

    if (v->n + n > v->cap) {
        v->cap = v->cap ? v->cap : 16;

        while (v->cap < v->n + n) {
            v->cap *= 2;
        }

        p = realloc(v->data, v->cap * v->size);
        if (p == NULL) {
            attck_fatal(ATTCK_EXIT_SOFTWARE, "out of memory");
        }

        v->data = p;
    }

    memcpy((char *) v->data + v->n * v->size, data, n * v->size);
    v->n += n;
}


void
attck_vec_free(attck_vec_t *v)
{
    free(v->data);
    attck_vec_init(v, v->size);
}


void
attck_buf_add(attck_buf_t *b, const void *data, size_t len)
{
    char  *p;

    if (b->len + len + 1 > b->cap) {
        b->cap = (b->len + len + 1) * 2;
        p = realloc(b->data, b->cap);
        if (p == NULL) {
            attck_fatal(ATTCK_EXIT_SOFTWARE, "out of memory");
        }
        b->data = p;
    }

    memcpy(b->data + b->len, data, len);
    b->len += len;
    b->data[b->len] = '\0';
}


void
attck_buf_str(attck_buf_t *b, const char *s)
{
    attck_buf_add(b, s, strlen(s));
}


void
attck_buf_printf(attck_buf_t *b, const char *fmt, ...)
{
    int      n;
    char     small[256], *big;
    va_list  args;

    va_start(args, fmt);
    n = vsnprintf(small, sizeof(small), fmt, args);
    va_end(args);

    if (n < 0) {
        attck_fatal(ATTCK_EXIT_SOFTWARE, "bad format \"%s\"", fmt);
    }

    if ((size_t) n < sizeof(small)) {
        attck_buf_add(b, small, n);
        return;
    }

    big = attck_xmalloc(n + 1);

    va_start(args, fmt);
    vsnprintf(big, n + 1, fmt, args);
    va_end(args);

    attck_buf_add(b, big, n);
    free(big);
}


/*
 * The loop of attck_buf_html() and attck_buf_text(): s is valid UTF-8, so
 * a C1 control character is 0xc2 and a byte of 0x80 to 0x9f.
 */

static void
attck_buf_escape(attck_buf_t *b, const char *s, size_t max, int html)
{
    size_t                chars, n;
    const char           *e;
    const unsigned char  *p;

    chars = 0;

    for (p = (const unsigned char *) s; *p; p += n) {
        n = 1;

        /* a character starts at every byte but a continuation byte */

        if ((*p & 0xc0) != 0x80 && max && chars++ == max) {
            attck_buf_str(b, "\xe2\x80\xa6");
            return;
        }

        if (*p == 0xc2 && p[1] >= 0x80 && p[1] < 0xa0) {
            e = " ";
            n = 2;

        } else if (*p < 0x20 || *p == 0x7f) {
            e = html && (*p == '\t' || *p == '\n') ? NULL : " ";

        } else {
            e = html && *p < 0x80 ? attck_buf_entities[*p] : NULL;
        }

        if (e) {
            attck_buf_str(b, e);

        } else {
            attck_buf_add(b, p, 1);
        }
    }
}


void
attck_buf_html(attck_buf_t *b, const char *s, size_t max)
{
    attck_buf_escape(b, s, max, 1);
}


void
attck_buf_text(attck_buf_t *b, const char *s, size_t max)
{
    attck_buf_escape(b, s, max, 0);
}


char *
attck_write_temp(const char *path, const void *data, size_t size,
    char *err, size_t errlen)
{
    int          fd;
    char        *tmp;
    size_t       len;
    ssize_t      n;
    const char  *p;

    len = strlen(path) + 32;
    tmp = attck_xmalloc(len);
    snprintf(tmp, len, "%s.tmp.%ld", path, (long) getpid());

    fd = open(tmp, O_WRONLY|O_CREAT|O_TRUNC, 0644);
    if (fd == -1) {
        snprintf(err, errlen, "cannot create %s: %s", tmp, strerror(errno));
        free(tmp);
        return NULL;
    }

    for (p = data; size; p += n, size -= n) {
        n = write(fd, p, size);

        if (n == -1) {
            if (errno == EINTR) {
                n = 0;
                continue;
            }

            snprintf(err, errlen, "cannot write %s: %s", tmp,
                     strerror(errno));
            goto failed;
        }
    }

    /* the data must be on disk before the name points at it */

    if (fsync(fd) == -1) {
        snprintf(err, errlen, "cannot sync %s: %s", tmp, strerror(errno));
        goto failed;
    }

    if (close(fd) == -1) {
        fd = -1;
        snprintf(err, errlen, "cannot close %s: %s", tmp, strerror(errno));
        goto failed;
    }

    return tmp;

failed:

    if (fd != -1) {
        close(fd);
    }

    unlink(tmp);
    free(tmp);

    return NULL;
}


int
attck_rename_into(const char *tmp, const char *path, char *err,
    size_t errlen)
{
    int    dfd;
    char  *dir, *copy;

    if (rename(tmp, path) == -1) {
        snprintf(err, errlen, "cannot rename %s to %s: %s", tmp, path,
                 strerror(errno));
        return -1;
    }

    /* and the new name on disk too */

    copy = attck_xstrdup(path);
    dir = dirname(copy);
    dfd = open(dir, O_RDONLY|O_DIRECTORY);

    if (dfd != -1) {
        (void) fsync(dfd);
        close(dfd);
    }

    free(copy);

    return 0;
}


int
attck_write_atomic(const char *path, const void *data, size_t size,
    char *err, size_t errlen)
{
    int    rc;
    char  *tmp;

    tmp = attck_write_temp(path, data, size, err, errlen);
    if (tmp == NULL) {
        return -1;
    }

    rc = attck_rename_into(tmp, path, err, errlen);

    if (rc != 0) {
        unlink(tmp);
    }

    free(tmp);

    return rc;
}


int
attck_version_cmp(const char *a, const char *b)
{
    long   x, y;
    char  *ea, *eb;

    for ( ;; ) {
        x = strtol(a, &ea, 10);
        y = strtol(b, &eb, 10);

        if (x != y) {
            return x < y ? -1 : 1;
        }

        if (*ea == '.' && *eb == '.') {
            a = ea + 1;
            b = eb + 1;
            continue;
        }

        /* "18.1" is newer than "18" */

        if (*ea == '.') {
            return 1;
        }

        if (*eb == '.') {
            return -1;
        }

        return strcmp(ea, eb);
    }
}


void
attck_sha256_hex(const void *data, size_t len, char *out)
{
    unsigned int   i, n;
    unsigned char  md[EVP_MAX_MD_SIZE];

    if (EVP_Digest(data, len, md, &n, EVP_sha256(), NULL) != 1) {
        attck_fatal(ATTCK_EXIT_SOFTWARE, "SHA-256 failed");
    }

    for (i = 0; i < n; i++) {
        snprintf(out + 2 * i, 3, "%02x", md[i]);
    }
}


char *
attck_read_file(const char *path, size_t *len, char *err, size_t errlen)
{
    FILE    *f;
    char    *data;
    long     size;

    f = fopen(path, "rb");
    if (f == NULL) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return NULL;
    }

    if (fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) < 0
        || fseek(f, 0, SEEK_SET) != 0)
    {
        snprintf(err, errlen, "%s: cannot tell its size", path);
        fclose(f);
        return NULL;
    }

    data = attck_xmalloc(size + 1);

    if (fread(data, 1, size, f) != (size_t) size) {
        snprintf(err, errlen, "%s: read error", path);
        fclose(f);
        free(data);
        return NULL;
    }

    fclose(f);
    data[size] = '\0';
    *len = size;

    return data;
}


void
attck_bad_option(const char *cmd, int c, char **argv)
{
    if (c == ':') {
        attck_fatal(ATTCK_EXIT_USAGE, "%s: %s needs an argument", cmd,
                    argv[optind - 1]);
    }

    attck_fatal(ATTCK_EXIT_USAGE, "%s: unknown option %s (try --help)", cmd,
                argv[optind - 1]);
}


long
attck_number(const char *cmd, const char *name, const char *value, long min,
    long max)
{
    long   v;
    char  *end;

    errno = 0;
    v = strtol(value, &end, 10);

    if (*value < '0' || *value > '9' || *end != '\0' || errno != 0
        || v < min || v > max)
    {
        attck_fatal(ATTCK_EXIT_USAGE, "%s: %s takes a number from %ld to %ld, "
                    "not \"%.64s\"", cmd, name, min, max, value);
    }

    return v;
}


long
attck_number_env(const char *cmd, const char *name, long def, long min,
    long max)
{
    const char  *value;

    value = getenv(name);

    if (value == NULL || *value == '\0') {
        return def;
    }

    return attck_number(cmd, name, value, min, max);
}


long
attck_duration(const char *text)
{
    int          k;
    long         n;
    char        *end;
    const char  *unit;

    static const char  units[] = "smhdw";
    static const long  secs[] = { 1, 60, 3600, 86400, 604800 };

    if (*text < '0' || *text > '9') {
        return -1;
    }

    errno = 0;
    n = strtol(text, &end, 10);

    if (errno != 0) {
        return -1;
    }

    if (*end == '\0') {
        return n;
    }

    unit = strchr(units, *end);

    if (unit == NULL || end[1] != '\0') {
        return -1;
    }

    k = unit - units;

    return n > LONG_MAX / secs[k] ? -1 : n * secs[k];
}
