
/*
 * attck-worker: a changelog (diff.h) as the bodies the API and the CLI
 * answer with: JSON, Markdown, HTML (self-contained, escaped) and an ATT&CK
 * Navigator 4.5 layer.
 */

#ifndef _ATTCK_RENDER_DIFF_H_INCLUDED_
#define _ATTCK_RENDER_DIFF_H_INCLUDED_


#include <stddef.h>
#include <jansson.h>


#define ATTCK_DIFF_JSON      0
#define ATTCK_DIFF_MARKDOWN  1
#define ATTCK_DIFF_HTML      2
#define ATTCK_DIFF_LAYER     3
#define ATTCK_DIFF_NFORMATS  4


/* "json", "markdown", "html", "layer" */
extern const char  *attck_diff_formats[ATTCK_DIFF_NFORMATS];

int attck_diff_format(const char *name);

/* the body of a changelog or a slice of it; malloc(3)ed, NUL-terminated */
char *attck_render_diff(json_t *diff, int format, size_t *len);


#endif /* _ATTCK_RENDER_DIFF_H_INCLUDED_ */
