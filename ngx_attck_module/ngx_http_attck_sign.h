
/*
 * ngx_http_attck_module: the shared key of attck_refresh_key, read at
 * configuration time, and the checks made with it on what the watcher
 * (ngx_http_attck_refresh.c) fetches from Redis.
 */

#ifndef _NGX_HTTP_ATTCK_SIGN_H_INCLUDED_
#define _NGX_HTTP_ATTCK_SIGN_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>


/* the bounds of a key; attck-worker's ATTCK_PUBLISH_KEY_FILE has them too */
#define NGX_HTTP_ATTCK_KEY_MIN   32
#define NGX_HTTP_ATTCK_KEY_MAX   4096

/* HMAC-SHA256 and SHA-256, in lower-case hex */
#define NGX_HTTP_ATTCK_SIG_LEN   64


/*
 * Reads the key file path (absolute) into key, from cf->pool and wiped
 * when the pool goes: the file's bytes but one trailing newline (LF or
 * CRLF).  NGX_CONF_OK, or NGX_CONF_ERROR logged: a file that cannot be
 * read, or holds less than NGX_HTTP_ATTCK_KEY_MIN or more than
 * NGX_HTTP_ATTCK_KEY_MAX bytes.  Warns when every user may read it.
 */
char *ngx_http_attck_read_key(ngx_conf_t *cf, ngx_str_t *path,
    ngx_str_t *key);

/*
 * Whether sig (NGX_HTTP_ATTCK_SIG_LEN characters) is the HMAC-SHA256 of
 * data under key, compared in constant time: NGX_OK or NGX_DECLINED
 */
ngx_int_t ngx_http_attck_verify(ngx_str_t *key, u_char *data, size_t len,
    u_char *sig);

/* SHA-256 of data into out (NGX_HTTP_ATTCK_SIG_LEN): NGX_OK, NGX_ERROR */
ngx_int_t ngx_http_attck_sha256(u_char *data, size_t len, u_char *out);


#endif /* _NGX_HTTP_ATTCK_SIGN_H_INCLUDED_ */
