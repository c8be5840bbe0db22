
/*
 * attck-worker map: mappings follow ATT&CK's revocations and
 * deprecations (sql/009_mapping_moves.sql).
 */

#ifndef _ATTCK_REMAP_H_INCLUDED_
#define _ATTCK_REMAP_H_INCLUDED_


#include <stddef.h>
#include <jansson.h>
#include <libpq-fe.h>


/*
 * The techniques gone in the model's release or in the newest Enterprise
 * release stored (its number into newest, "" when there is none):
 * technique id -> the id that replaces it, or "" when it is only to be
 * left out.  NULL with err set when the database fails.
 */
json_t *attck_remap_gone(PGconn *db, const char *model_release, char *newest,
    size_t len, char *err, size_t errlen);

/*
 * A threat's techniques ({"id", "score", "method", "evidence"}, as
 * attck_classify_text() makes them) without gone ones: a revoked one
 * becomes its replacement (method and evidence kept) unless that is
 * there already, a deprecated one is left out.
 */
void attck_remap_follow(json_t *gone, json_t *list);

/*
 * Moves the stored mappings of techniques the release revoked to their
 * replacements, recording each move in mapping_moves; the number moved,
 * or -1 with err set.
 */
long attck_remap_move(PGconn *db, const char *release, char *err,
    size_t errlen);


#endif /* _ATTCK_REMAP_H_INCLUDED_ */
