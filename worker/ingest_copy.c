
/*
 * attck-worker ingest: raw JSON records as COPY rows, for the sources
 * stored record by record (ingest_otx.c, ingest_vt.c).
 */


#include <string.h>

#include "ingest_copy.h"


/*
 * One COPY text row holding a raw JSON record.  jsonb cannot hold a NUL
 * character: such records are refused, and counted by the caller.  In
 * compact JSON only backslashes need escaping for COPY.
 */

int
attck_ingest_copy_json(attck_vec_t *out, const char *json)
{
    const char  *p, *bs;

    /* "\\u0000" is text, a backslash then "u0000"; "\u0000" is NUL */

    for (p = json; (p = strchr(p, '\\')) != NULL; p += 2) {
        if (strncmp(p, "\\u0000", 6) == 0) {
            return -1;
        }

        if (p[1] == '\0') {
            break;
        }
    }

    /* whole runs between backslashes: a byte at a time is too slow */

    for (p = json; (bs = strchr(p, '\\')) != NULL; p = bs + 1) {
        attck_vec_append(out, p, bs - p + 1);
        attck_vec_append(out, "\\", 1);
    }

    attck_vec_append(out, p, strlen(p));
    attck_vec_append(out, "\n", 1);

    return 0;
}
