
/*
 * attck-worker map: threats in PostgreSQL to ATT&CK techniques.
 */

#ifndef _ATTCK_MAP_H_INCLUDED_
#define _ATTCK_MAP_H_INCLUDED_


int attck_map_main(int argc, char **argv);


#endif /* _ATTCK_MAP_H_INCLUDED_ */
