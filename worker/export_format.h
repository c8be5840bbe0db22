
/*
 * attck-worker export: how each kind of SIEM / SOAR receiver wants the
 * threat documents framed, authorised and acknowledged.
 */

#ifndef _ATTCK_EXPORT_FORMAT_H_INCLUDED_
#define _ATTCK_EXPORT_FORMAT_H_INCLUDED_


#include <stddef.h>
#include <time.h>

#include "util.h"


typedef struct {
    const char  *name;            /* export.format */
    const char  *content_type;
    const char  *auth_scheme;     /* "Authorization: SCHEME TOKEN" */

    /* appends one threat document (JSON text) to a request body */
    void       (*frame)(attck_buf_t *body, const char *id, const char *doc,
                        time_t seen);

    /*
     * 0 when the receiver took every event, else -1 with err set; NULL
     * when a 2xx status says so (HEC answers 4xx for a refused event)
     */
    int        (*accepted)(const char *answer, size_t len, char *err,
                           size_t errlen);
} attck_export_format_t;


/* "hec", "elastic" or "ndjson"; NULL for anything else */
const attck_export_format_t *attck_export_format(const char *name);


#endif /* _ATTCK_EXPORT_FORMAT_H_INCLUDED_ */
