
/*
 * attck-worker run and daemon: ingest, map and publish, once or on a
 * schedule.
 */

#ifndef _ATTCK_SCHEDULE_H_INCLUDED_
#define _ATTCK_SCHEDULE_H_INCLUDED_


int attck_run_main(int argc, char **argv);
int attck_daemon_main(int argc, char **argv);


#endif /* _ATTCK_SCHEDULE_H_INCLUDED_ */
