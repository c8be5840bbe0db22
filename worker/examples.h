
/*
 * attck-worker examples: the labeled sentences ATT&CK itself holds, as
 * JSON Lines in the format "train --labeled" reads.
 */

#ifndef _ATTCK_EXAMPLES_H_INCLUDED_
#define _ATTCK_EXAMPLES_H_INCLUDED_


#include "model.h"


/* text cleaned and folded; technique and source are ATT&CK ids */
typedef void (*attck_examples_pt)(const char *text, const char *technique,
    const char *source, const char *kind, void *ctx);

int attck_examples_main(int argc, char **argv);

/*
 * Loads the bundles named by the arguments from optind (or
 * ATTCK_SOURCES) into one model; exits with one line on failure.
 */
size_t attck_examples_load(const char *cmd, int argc, char **argv,
    attck_model_t *m, attck_bundle_t **bundles);
/* one model of bundles already loaded */
void attck_examples_build(const char *cmd, attck_model_t *m,
    attck_bundle_t *bundles, size_t n);
void attck_examples_unload(attck_model_t *m, attck_bundle_t *bundles,
    size_t n);

/*
 * Gives every technique text, then every procedure example, in the
 * model's order; returns how many technique texts, *nproc procedures.
 */
size_t attck_examples_collect(attck_model_t *m, attck_examples_pt cb,
    void *ctx, size_t *nproc);

/*
 * Gives the name and every alias of each active group and malware (kind
 * "name", technique ""): names, not behaviour; returns how many.
 */
size_t attck_examples_names(attck_model_t *m, attck_examples_pt cb,
    void *ctx);


#endif /* _ATTCK_EXAMPLES_H_INCLUDED_ */
