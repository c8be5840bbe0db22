
/*
 * attck-worker: the shared key that signs what publish puts in Redis, so
 * that nginx (attck_refresh_key) loads only snapshots of a key holder.
 */

#ifndef _ATTCK_SIGN_H_INCLUDED_
#define _ATTCK_SIGN_H_INCLUDED_


#include <stddef.h>


/* the bounds the module's attck_refresh_key applies too */
#define ATTCK_SIGN_KEY_MIN  32
#define ATTCK_SIGN_KEY_MAX  4096


typedef struct {
    unsigned char  data[ATTCK_SIGN_KEY_MAX + 2];
    size_t         len;
} attck_sign_key_t;


/*
 * Reads a key file: its bytes, but one trailing newline (LF or CRLF), so
 * that "openssl rand -hex 32 > FILE" makes one.  Exits 66 when the file
 * cannot be read, 64 when it holds less than ATTCK_SIGN_KEY_MIN or more
 * than ATTCK_SIGN_KEY_MAX bytes; warns when every user may read it.  The
 * key itself is never logged.
 */
void attck_sign_key_load(const char *cmd, const char *path,
    attck_sign_key_t *key);

/* forgets the key */
void attck_sign_key_clear(attck_sign_key_t *key);

/* HMAC-SHA256 of data under key, as lower-case hex, into out[65] */
void attck_sign_hex(const attck_sign_key_t *key, const void *data,
    size_t len, char *out);


#endif /* _ATTCK_SIGN_H_INCLUDED_ */
