
/*
 * attck-worker: progress of long stages on a terminal.
 */

#ifndef _ATTCK_PROGRESS_H_INCLUDED_
#define _ATTCK_PROGRESS_H_INCLUDED_


/*
 * One status line on stderr, redrawn at most ten times a second, only
 * when stderr is a terminal: logs and pipes get the logfmt lines alone.
 */
void attck_progress(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

/* clears the line before other output */
void attck_progress_done(void);


#endif /* _ATTCK_PROGRESS_H_INCLUDED_ */
