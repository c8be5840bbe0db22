
/*
 * attck-worker: each stage's last run, recorded in Redis for nginx's
 * /metrics (attck_metrics).
 */

#ifndef _ATTCK_STAGE_H_INCLUDED_
#define _ATTCK_STAGE_H_INCLUDED_


/*
 * "attck:stage:NAME" is a hash: started, ended (Unix seconds), exit_code,
 * and what the run counted, "count:WHAT" or "count:WHAT:SOURCE"; publish
 * adds generation.  Only after attck_stage_begin() (run, daemon; its
 * child processes inherit it) is anything written, and nothing without
 * ATTCK_REDIS_URL; a Redis that fails costs one warning, never the
 * stage's exit code.
 */
void attck_stage_begin(const char *stage);
void attck_stage_end(const char *stage, int code);
void attck_stage_count(const char *stage, const char *what,
    const char *source, long long n);
void attck_stage_set(const char *stage, const char *field, const char *value);


#endif /* _ATTCK_STAGE_H_INCLUDED_ */
