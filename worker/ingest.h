
/*
 * attck-worker ingest: sources into PostgreSQL, one transaction each.
 */

#ifndef _ATTCK_INGEST_H_INCLUDED_
#define _ATTCK_INGEST_H_INCLUDED_


int attck_ingest_main(int argc, char **argv);


#endif /* _ATTCK_INGEST_H_INCLUDED_ */
