
/*
 * attck-worker: the objects of a STIX bundle found in its text.
 */


#include <stdio.h>
#include <string.h>

#include "scan.h"


typedef struct {
    const char  *p;
    const char  *end;
    char        *err;
    size_t       errlen;
} attck_scan_t;


static void attck_scan_ws(attck_scan_t *s);
static int attck_scan_string(attck_scan_t *s, const char **str,
    size_t *len);
static int attck_scan_value(attck_scan_t *s);
static int attck_scan_fail(attck_scan_t *s, const char *what);


static int
attck_scan_fail(attck_scan_t *s, const char *what)
{
    if (s->p >= s->end) {
        snprintf(s->err, s->errlen, "not valid JSON: the text ends inside "
                 "the bundle (truncated?)");

    } else {
        snprintf(s->err, s->errlen, "%s", what);
    }

    return -1;
}


static void
attck_scan_ws(attck_scan_t *s)
{
    while (s->p < s->end && (*s->p == ' ' || *s->p == '\n' || *s->p == '\r'
                             || *s->p == '\t'))
    {
        s->p++;
    }
}


/* a string at s->p; *str and *len are its raw contents */

static int
attck_scan_string(attck_scan_t *s, const char **str, size_t *len)
{
    const char  *start;

    if (s->p >= s->end || *s->p != '"') {
        return attck_scan_fail(s, "not valid JSON: a string was expected");
    }

    start = ++s->p;

    while (s->p < s->end && *s->p != '"') {
        if (*s->p == '\\') {
            s->p++;
        }

        s->p++;
    }

    if (s->p >= s->end) {
        return attck_scan_fail(s, "");
    }

    *str = start;
    *len = s->p - start;
    s->p++;

    return 0;
}


/* skips any value: a string, a nested object or array, or a literal */

static int
attck_scan_value(attck_scan_t *s)
{
    int           depth;
    size_t        len;
    const char   *str;

    attck_scan_ws(s);

    if (s->p >= s->end) {
        return attck_scan_fail(s, "");
    }

    if (*s->p == '"') {
        return attck_scan_string(s, &str, &len);
    }

    if (*s->p != '{' && *s->p != '[') {
        while (s->p < s->end && strchr(",}] \t\r\n", *s->p) == NULL) {
            s->p++;
        }

        return 0;
    }

    /* brackets are counted outside strings; the server checks the rest */

    for (depth = 0; s->p < s->end; s->p++) {
        switch (*s->p) {
        case '"':
            if (attck_scan_string(s, &str, &len) != 0) {
                return -1;
            }

            s->p--;
            break;

        case '{':
        case '[':
            depth++;
            break;

        case '}':
        case ']':
            if (--depth == 0) {
                s->p++;
                return 0;
            }

            break;
        }
    }

    return attck_scan_fail(s, "");
}


int
attck_scan_bundle(const char *text, size_t len, attck_scan_pt cb, void *ctx,
    size_t *count, char *err, size_t errlen)
{
    int            rc, is_bundle, objects;
    size_t         klen, vlen;
    const char    *key, *value, *start;
    attck_scan_t   s;

    s.p = text;
    s.end = text + len;
    s.err = err;
    s.errlen = errlen;
    *count = 0;
    is_bundle = 0;
    objects = 0;

    attck_scan_ws(&s);

    if (s.p >= s.end || *s.p != '{') {
        snprintf(err, errlen, "not valid JSON, or not a STIX bundle (need "
                 "an object with \"type\": \"bundle\" and \"objects\")");
        return -1;
    }

    s.p++;

    for ( ;; ) {
        attck_scan_ws(&s);

        if (s.p < s.end && *s.p == '}') {
            s.p++;
            break;
        }

        if (attck_scan_string(&s, &key, &klen) != 0) {
            return -1;
        }

        attck_scan_ws(&s);

        if (s.p >= s.end || *s.p++ != ':') {
            return attck_scan_fail(&s, "not valid JSON: ':' was expected");
        }

        attck_scan_ws(&s);

        if (klen == 4 && memcmp(key, "type", 4) == 0 && s.p < s.end
            && *s.p == '"')
        {
            if (attck_scan_string(&s, &value, &vlen) != 0) {
                return -1;
            }

            is_bundle = (vlen == 6 && memcmp(value, "bundle", 6) == 0);

        } else if (klen == 7 && memcmp(key, "objects", 7) == 0
                   && s.p < s.end && *s.p == '[')
        {
            objects = 1;
            s.p++;

            for ( ;; ) {
                attck_scan_ws(&s);

                if (s.p < s.end && *s.p == ']') {
                    s.p++;
                    break;
                }

                if (s.p >= s.end || *s.p != '{') {
                    return attck_scan_fail(&s, "not a STIX bundle: "
                                           "\"objects\" holds a non-object");
                }

                start = s.p;

                if (attck_scan_value(&s) != 0) {
                    return -1;
                }

                rc = cb(start, s.p - start, ctx);
                if (rc != 0) {
                    return rc;
                }

                (*count)++;
                attck_scan_ws(&s);

                if (s.p < s.end && *s.p == ',') {
                    s.p++;

                } else if (s.p >= s.end || *s.p != ']') {
                    return attck_scan_fail(&s, "not valid JSON: ',' or ']' "
                                           "was expected");
                }
            }

        } else if (attck_scan_value(&s) != 0) {
            return -1;
        }

        attck_scan_ws(&s);

        if (s.p < s.end && *s.p == ',') {
            s.p++;

        } else if (s.p >= s.end || *s.p != '}') {
            return attck_scan_fail(&s, "not valid JSON: ',' or '}' was "
                                   "expected");
        }
    }

    attck_scan_ws(&s);

    if (s.p != s.end) {
        snprintf(err, errlen, "not valid JSON: text after the bundle");
        return -1;
    }

    if (!is_bundle || !objects) {
        snprintf(err, errlen, "not a STIX bundle (need \"type\": \"bundle\" "
                 "and an \"objects\" array)");
        return -1;
    }

    return 0;
}
