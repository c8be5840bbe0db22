
/*
 * attck-worker: exit codes, logging, growable arrays and buffers, files.
 */

#ifndef _ATTCK_UTIL_H_INCLUDED_
#define _ATTCK_UTIL_H_INCLUDED_


#include <stddef.h>
#include <stdint.h>


/* exit codes follow sysexits(3), so that schedulers can tell them apart */
#define ATTCK_EXIT_OK           0
#define ATTCK_EXIT_USAGE        64     /* bad command line */
#define ATTCK_EXIT_DATAERR      65     /* input is not valid STIX / JSON */
#define ATTCK_EXIT_NOINPUT      66     /* input file missing or unreadable */
#define ATTCK_EXIT_UNAVAILABLE  69     /* remote source failed */
#define ATTCK_EXIT_SOFTWARE     70     /* internal error, out of memory */
#define ATTCK_EXIT_CANTCREAT    73     /* cannot write the output */


typedef struct {
    void    *data;
    size_t   n;
    size_t   cap;
    size_t   size;               /* of one element */
} attck_vec_t;


/* text being built: data is NUL-terminated once anything was added */
typedef struct {
    char    *data;
    size_t   len;
    size_t   cap;
} attck_buf_t;


void attck_log(const char *level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void attck_fatal(int code, const char *fmt, ...)
    __attribute__((format(printf, 2, 3), noreturn));

/* getopt_long() returned c, ':' or '?': one line naming the option, 64 */
void attck_bad_option(const char *cmd, int c, char **argv)
    __attribute__((noreturn));

/* a whole number from min to max, else "cmd: name takes a number ..." 64 */
long attck_number(const char *cmd, const char *name, const char *value,
    long min, long max);

/* attck_number() of the environment variable name, def when it is unset */
long attck_number_env(const char *cmd, const char *name, long def, long min,
    long max);

/* "90", "90s", "15m", "6h", "1d", "2w" in seconds; -1 if not one */
long attck_duration(const char *text);

void *attck_xmalloc(size_t size);
void *attck_xcalloc(size_t n, size_t size);
char *attck_xstrdup(const char *s);

void attck_vec_init(attck_vec_t *v, size_t size);
void *attck_vec_push(attck_vec_t *v);
void attck_vec_append(attck_vec_t *v, const void *data, size_t n);
void attck_vec_free(attck_vec_t *v);

#define attck_vec_at(v, type, i)  (&((type *) (v)->data)[i])

void attck_buf_add(attck_buf_t *b, const void *data, size_t len);
void attck_buf_str(attck_buf_t *b, const char *s);
void attck_buf_printf(attck_buf_t *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/*
 * s, valid UTF-8, as HTML text or attribute value: & < > " ' escaped,
 * control characters but tab and line feed (HTML allows no other) as
 * spaces; max > 0 cuts it after that many characters, with an ellipsis
 */
void attck_buf_html(attck_buf_t *b, const char *s, size_t max);

/* the same as plain text: no escapes, every control character a space */
void attck_buf_text(attck_buf_t *b, const char *s, size_t max);

/* writes via a temporary file and rename(2): never a half-written file */
int attck_write_atomic(const char *path, const void *data, size_t size,
    char *err, size_t errlen);

/*
 * The two halves of it, for a caller that commits elsewhere in between:
 * the data written and synced beside path ("path.tmp.PID", returned, to
 * free), or NULL with err set; then the rename over path, synced, or -1
 * with err set and tmp left for the caller to unlink.
 */
char *attck_write_temp(const char *path, const void *data, size_t size,
    char *err, size_t errlen);
int attck_rename_into(const char *tmp, const char *path, char *err,
    size_t errlen);

/* lower-case hex SHA-256 of data into out[65] */
void attck_sha256_hex(const void *data, size_t len, char *out);

/* reads a whole file; NULL with err set */
char *attck_read_file(const char *path, size_t *len, char *err,
    size_t errlen);

/* compares release versions numerically: "9.0" < "16.1" < "18.1" */
int attck_version_cmp(const char *a, const char *b);


#endif /* _ATTCK_UTIL_H_INCLUDED_ */
