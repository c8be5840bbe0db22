
/*
 * Query-string parsing for the API: name=value pairs, percent-decoding,
 * bounds.  No nginx types, so that it is unit-tested on its own.
 */

#ifndef _ATTCK_ARGS_H_INCLUDED_
#define _ATTCK_ARGS_H_INCLUDED_


#include <stddef.h>
#include <stdint.h>


#define ATTCK_ARGS_OK         1
#define ATTCK_ARGS_END        0
#define ATTCK_ARGS_TOO_LONG  -1
#define ATTCK_ARGS_BAD       -2      /* NUL byte or control character */


typedef struct {
    const char  *name;               /* raw, not decoded */
    size_t       name_len;
    char        *value;              /* decoded into the caller's buffer */
    size_t       value_len;
} attck_arg_t;


/*
 * Takes the next pair from *p (up to end), decoding the value into buf.
 * Empty pairs ("a=1&&b=2") are skipped.
 */
int attck_args_next(const char **p, const char *end, attck_arg_t *arg,
    char *buf, size_t buflen);

/* "true"/"1"/"yes" -> 1, "false"/"0"/"no" -> 0, else -1 */
int attck_args_bool(const char *s, size_t len);

/* a decimal in [0, max], else -1 */
int64_t attck_args_uint(const char *s, size_t len, int64_t max);

int attck_args_eq(const char *s, size_t len, const char *lit);


#endif /* _ATTCK_ARGS_H_INCLUDED_ */
