
/*
 * attck-worker publish: PostgreSQL -> snapshot file, Redis generation.
 */

#ifndef _ATTCK_PUBLISH_H_INCLUDED_
#define _ATTCK_PUBLISH_H_INCLUDED_


int attck_publish_main(int argc, char **argv);


#endif /* _ATTCK_PUBLISH_H_INCLUDED_ */
