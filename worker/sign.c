
/*
 * attck-worker: the shared key that signs what publish puts in Redis.
 */


#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "sign.h"
#include "util.h"


void
attck_sign_key_load(const char *cmd, const char *path, attck_sign_key_t *key)
{
    int          fd;
    size_t       len;
    ssize_t      n;
    struct stat  st;

    fd = open(path, O_RDONLY);
    if (fd == -1) {
        attck_fatal(ATTCK_EXIT_NOINPUT, "%s: key file %s: %s", cmd, path,
                    strerror(errno));
    }

    if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
        attck_fatal(ATTCK_EXIT_NOINPUT, "%s: key file %s is not a file",
                    cmd, path);
    }

    /* a key, not the snapshot named by mistake: the size says so first */

    if (st.st_size > (off_t) sizeof(key->data)) {
        attck_fatal(ATTCK_EXIT_USAGE, "%s: key file %s holds %lld bytes: "
                    "a key has at most %d", cmd, path,
                    (long long) st.st_size, ATTCK_SIGN_KEY_MAX);
    }

    for (len = 0; len < sizeof(key->data); len += n) {
        n = read(fd, key->data + len, sizeof(key->data) - len);

        if (n == -1 && errno == EINTR) {
            n = 0;
            continue;
        }

        if (n == -1) {
            attck_fatal(ATTCK_EXIT_NOINPUT, "%s: key file %s: %s", cmd,
                        path, strerror(errno));
        }

        if (n == 0) {
            break;
        }
    }

    close(fd);

    if (len && key->data[len - 1] == '\n') {
        len--;

        if (len && key->data[len - 1] == '\r') {
            len--;
        }
    }

    if (len < ATTCK_SIGN_KEY_MIN || len > ATTCK_SIGN_KEY_MAX) {
        attck_sign_key_clear(key);
        attck_fatal(ATTCK_EXIT_USAGE, "%s: key file %s holds %zu bytes: a "
                    "key has %d to %d (openssl rand -hex 32 > FILE makes "
                    "one)", cmd, path, len, ATTCK_SIGN_KEY_MIN,
                    ATTCK_SIGN_KEY_MAX);
    }

    key->len = len;

    if (st.st_mode & S_IROTH) {
        attck_log("warn", "%s: key file %s can be read by every user: "
                  "chmod o-r it", cmd, path);
    }
}


void
attck_sign_key_clear(attck_sign_key_t *key)
{
    OPENSSL_cleanse(key->data, sizeof(key->data));
    key->len = 0;
}


void
attck_sign_hex(const attck_sign_key_t *key, const void *data, size_t len,
    char *out)
{
    unsigned int   i, n;
    unsigned char  mac[EVP_MAX_MD_SIZE];

    if (HMAC(EVP_sha256(), key->data, (int) key->len, data, len, mac, &n)
        == NULL)
    {
        attck_fatal(ATTCK_EXIT_SOFTWARE, "HMAC-SHA256 failed");
    }

    for (i = 0; i < n && i < 32; i++) {
        snprintf(out + 2 * i, 3, "%02x", mac[i]);
    }
}
