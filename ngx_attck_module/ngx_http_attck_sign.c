
/*
 * ngx_http_attck_module: attck_refresh_key.
 *
 * Redis is often reachable by more hosts than should decide what nginx
 * serves.  With a key shared by attck-worker publish and nginx, the
 * pointer "attck:current" reads "GEN SHA HMAC", HMAC being HMAC-SHA256 of
 * "GEN SHA" under the key; the watcher follows only a pointer whose HMAC
 * holds, and loads a snapshot only when its bytes hash to SHA.  So the
 * signature covers the snapshot's content, not only its name.
 *
 * The key is read by the master process while the configuration is
 * parsed, so that a file only root may read (mode 0600) serves; worker
 * processes get it with the configuration.
 */


#include <ngx_config.h>
#include <ngx_core.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "ngx_http_attck_sign.h"


static void ngx_http_attck_wipe_key(void *data);


char *
ngx_http_attck_read_key(ngx_conf_t *cf, ngx_str_t *path, ngx_str_t *key)
{
    char                *rv;
    size_t               len;
    ssize_t              n;
    ngx_fd_t             fd;
    ngx_file_t           file;
    ngx_file_info_t      fi;
    ngx_pool_cleanup_t  *cln;

    rv = NGX_CONF_ERROR;

    fd = ngx_open_file(path->data, NGX_FILE_RDONLY, NGX_FILE_OPEN, 0);

    if (fd == NGX_INVALID_FILE) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, ngx_errno,
                           "attck_refresh_key: " ngx_open_file_n " \"%V\" "
                           "failed", path);
        return NGX_CONF_ERROR;
    }

    if (ngx_fd_info(fd, &fi) == NGX_FILE_ERROR) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, ngx_errno,
                           "attck_refresh_key: " ngx_fd_info_n " \"%V\" "
                           "failed", path);
        goto done;
    }

    if (!ngx_is_file(&fi)) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "attck_refresh_key: \"%V\" is not a file", path);
        goto done;
    }

    /* a key, not the snapshot named by mistake: the size says so first */

    if (ngx_file_size(&fi) > NGX_HTTP_ATTCK_KEY_MAX + 2) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "attck_refresh_key: \"%V\" holds %O bytes: a key "
                           "has at most %d", path, ngx_file_size(&fi),
                           NGX_HTTP_ATTCK_KEY_MAX);
        goto done;
    }

    cln = ngx_pool_cleanup_add(cf->pool, 0);
    if (cln == NULL) {
        goto done;
    }

    key->data = ngx_pnalloc(cf->pool, NGX_HTTP_ATTCK_KEY_MAX + 2);
    if (key->data == NULL) {
        goto done;
    }

    key->len = 0;
    cln->handler = ngx_http_attck_wipe_key;
    cln->data = key;

    ngx_memzero(&file, sizeof(ngx_file_t));
    file.fd = fd;
    file.name = *path;
    file.log = cf->log;

    n = ngx_read_file(&file, key->data, NGX_HTTP_ATTCK_KEY_MAX + 2, 0);

    if (n == NGX_ERROR) {
        goto done;
    }

    len = (size_t) n;

    if (len && key->data[len - 1] == LF) {
        len--;

        if (len && key->data[len - 1] == CR) {
            len--;
        }
    }

    key->len = len;

    if (len == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "attck_refresh_key: \"%V\" is empty", path);
        goto done;
    }

    if (len < NGX_HTTP_ATTCK_KEY_MIN || len > NGX_HTTP_ATTCK_KEY_MAX) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "attck_refresh_key: \"%V\" holds %uz bytes: a "
                           "key has %d to %d (\"openssl rand -hex 32 > "
                           "FILE\" makes one)", path, len,
                           NGX_HTTP_ATTCK_KEY_MIN, NGX_HTTP_ATTCK_KEY_MAX);
        goto done;
    }

    if (ngx_file_access(&fi) & 0004) {
        ngx_conf_log_error(NGX_LOG_WARN, cf, 0,
                           "attck_refresh_key: \"%V\" can be read by every "
                           "user: chmod o-r it", path);
    }

    rv = NGX_CONF_OK;

done:

    if (ngx_close_file(fd) == NGX_FILE_ERROR) {
        ngx_log_error(NGX_LOG_ALERT, cf->log, ngx_errno,
                      ngx_close_file_n " \"%V\" failed", path);
    }

    return rv;
}


static void
ngx_http_attck_wipe_key(void *data)
{
    ngx_str_t  *key = data;

    ngx_explicit_memzero(key->data, NGX_HTTP_ATTCK_KEY_MAX + 2);
    key->len = 0;
}


ngx_int_t
ngx_http_attck_verify(ngx_str_t *key, u_char *data, size_t len, u_char *sig)
{
    u_char        hex[2 * EVP_MAX_MD_SIZE], mac[EVP_MAX_MD_SIZE];
    unsigned int  n;

    if (HMAC(EVP_sha256(), key->data, (int) key->len, data, len, mac, &n)
        == NULL
        || n * 2 != NGX_HTTP_ATTCK_SIG_LEN)
    {
        return NGX_DECLINED;
    }

    ngx_hex_dump(hex, mac, n);

    return CRYPTO_memcmp(hex, sig, NGX_HTTP_ATTCK_SIG_LEN) == 0
           ? NGX_OK : NGX_DECLINED;
}


ngx_int_t
ngx_http_attck_sha256(u_char *data, size_t len, u_char *out)
{
    unsigned int  n;
    u_char        md[EVP_MAX_MD_SIZE];

    if (EVP_Digest(data, len, md, &n, EVP_sha256(), NULL) != 1
        || n * 2 != NGX_HTTP_ATTCK_SIG_LEN)
    {
        return NGX_ERROR;
    }

    ngx_hex_dump(out, md, n);

    return NGX_OK;
}
