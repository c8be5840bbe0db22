
/*
 * attck-worker migrate: applies sql/NNN_*.sql in order, once each.
 */

#ifndef _ATTCK_MIGRATE_H_INCLUDED_
#define _ATTCK_MIGRATE_H_INCLUDED_


int attck_migrate_main(int argc, char **argv);


#endif /* _ATTCK_MIGRATE_H_INCLUDED_ */
