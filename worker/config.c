
/*
 * attck-worker: the configuration file.
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <yaml.h>

#include "config.h"
#include "util.h"


#define ATTCK_SECRET        1      /* always: API keys */
#define ATTCK_SECRET_URL    2      /* when it holds a password */


typedef struct {
    const char  *path;        /* "sources.otx.key" */
    const char  *env;
    int          secret;
} attck_setting_t;


static const attck_setting_t  attck_settings[] = {
    { "database.url", "ATTCK_DATABASE_URL", ATTCK_SECRET_URL },
    { "database.migrations", "ATTCK_SQL_DIR", 0 },
    { "sources.attack", "ATTCK_SOURCES", 0 },
    { "sources.otx.url", "ATTCK_OTX_URL", 0 },
    { "sources.otx.key", "ATTCK_OTX_KEY", ATTCK_SECRET },
    { "sources.virustotal.url", "ATTCK_VT_URL", 0 },
    { "sources.virustotal.key", "ATTCK_VT_KEY", ATTCK_SECRET },
    { "sources.virustotal.rate", "ATTCK_VT_RATE", 0 },
    { "sources.virustotal.daily", "ATTCK_VT_DAILY", 0 },
    { "sources.virustotal.max_age_days", "ATTCK_VT_MAX_AGE", 0 },
    { "mapping.model", "ATTCK_MODEL", 0 },
    { "mapping.threshold", "ATTCK_MAP_THRESHOLD", 0 },
    { "mapping.top", "ATTCK_MAP_TOP", 0 },
    { "redis.url", "ATTCK_REDIS_URL", ATTCK_SECRET_URL },
    { "redis.timeout", "ATTCK_REDIS_TIMEOUT", 0 },
    { "publish.snapshot", "ATTCK_SNAPSHOT", 0 },
    { "publish.top", "ATTCK_PUBLISH_TOP", 0 },
    { "publish.key_file", "ATTCK_PUBLISH_KEY_FILE", 0 },
    { "reports.dir", "ATTCK_REPORTS_DIR", 0 },
    { "reports.formats", "ATTCK_REPORTS_FORMATS", 0 },
    { "reports.period", "ATTCK_REPORTS_PERIOD", 0 },
    { "reports.domain", "ATTCK_REPORTS_DOMAIN", 0 },
    { "reports.top", "ATTCK_REPORTS_TOP", 0 },
    { "reports.keep", "ATTCK_REPORTS_KEEP", 0 },
    { "export.url", "ATTCK_EXPORT_URL", ATTCK_SECRET_URL },
    { "export.format", "ATTCK_EXPORT_FORMAT", 0 },
    { "export.token", "ATTCK_EXPORT_TOKEN", ATTCK_SECRET },
    { "export.batch", "ATTCK_EXPORT_BATCH", 0 },
    { "export.min_score", "ATTCK_EXPORT_MIN_SCORE", 0 },
    { "schedule.ingest", "ATTCK_SCHEDULE_INGEST", 0 },
    { "schedule.map", "ATTCK_SCHEDULE_MAP", 0 },
    { "schedule.publish", "ATTCK_SCHEDULE_PUBLISH", 0 },
    { "schedule.report", "ATTCK_SCHEDULE_REPORT", 0 },
    { "schedule.export", "ATTCK_SCHEDULE_EXPORT", 0 },
    { "fetch.timeout", "ATTCK_FETCH_TIMEOUT", 0 },
    { "fetch.retries", "ATTCK_FETCH_RETRIES", 0 },
    { "fetch.backoff_ms", "ATTCK_FETCH_BACKOFF_MS", 0 },
    { "sources.taxii.feeds", "ATTCK_TAXII_FEEDS", 0 },
    { "sources.taxii.auth_file", "ATTCK_TAXII_AUTH_FILE", 0 },
    { "publish.taxii", "ATTCK_PUBLISH_TAXII", 0 },
    { NULL, NULL, 0 }
};


typedef struct {
    const char     *file;
    yaml_document_t doc;
    int             secrets;      /* the file holds a secret */
} attck_config_t;


static void attck_config_walk(attck_config_t *c, yaml_node_t *node,
    char *path, size_t len);
static void attck_config_set(attck_config_t *c, const char *path,
    yaml_node_t *node);
static int attck_config_has_password(const char *url);


/* "scheme://user:password@host" or a conninfo with "password=" */

static int
attck_config_has_password(const char *url)
{
    const char  *p, *at, *colon;

    if (strstr(url, "password=")) {
        return 1;
    }

    p = strstr(url, "://");
    if (p == NULL) {
        return 0;
    }

    p += 3;
    at = strchr(p, '@');
    colon = strchr(p, ':');

    return at && colon && colon < at;
}


static void
attck_config_set(attck_config_t *c, const char *path, yaml_node_t *node)
{
    char                     *value;
    size_t                    len;
    yaml_node_t              *item;
    yaml_node_item_t         *i;
    const attck_setting_t    *s;

    for (s = attck_settings; s->path; s++) {
        if (strcmp(s->path, path) == 0) {
            break;
        }
    }

    if (s->path == NULL) {
        attck_log("warn", "%s: unknown setting %s (ignored)", c->file, path);
        return;
    }

    /* a list is joined by spaces: ATTCK_SOURCES takes it so */

    if (node->type == YAML_SEQUENCE_NODE) {
        len = 1;

        for (i = node->data.sequence.items.start;
             i < node->data.sequence.items.top; i++)
        {
            item = yaml_document_get_node(&c->doc, *i);
            if (item == NULL || item->type != YAML_SCALAR_NODE) {
                attck_fatal(ATTCK_EXIT_USAGE, "%s: %s takes a list of "
                            "values", c->file, path);
            }

            len += item->data.scalar.length + 1;
        }

        value = attck_xcalloc(len, 1);

        for (i = node->data.sequence.items.start;
             i < node->data.sequence.items.top; i++)
        {
            item = yaml_document_get_node(&c->doc, *i);

            if (*value) {
                strcat(value, " ");
            }

            strncat(value, (char *) item->data.scalar.value,
                    item->data.scalar.length);
        }

    } else if (node->type == YAML_SCALAR_NODE) {
        value = attck_xcalloc(node->data.scalar.length + 1, 1);
        memcpy(value, node->data.scalar.value, node->data.scalar.length);

    } else {
        attck_fatal(ATTCK_EXIT_USAGE, "%s: %s takes a value, not a mapping",
                    c->file, path);
    }

    if (*value && (s->secret == ATTCK_SECRET
                   || (s->secret == ATTCK_SECRET_URL
                       && attck_config_has_password(value))))
    {
        c->secrets = 1;
    }

    /* the environment wins */

    if (*value && getenv(s->env) == NULL) {
        setenv(s->env, value, 1);
    }

    free(value);
}


static void
attck_config_walk(attck_config_t *c, yaml_node_t *node, char *path,
    size_t len)
{
    size_t             n;
    yaml_node_t       *key, *value;
    yaml_node_pair_t  *pair;

    if (node->type != YAML_MAPPING_NODE) {
        attck_config_set(c, path, node);
        return;
    }

    for (pair = node->data.mapping.pairs.start;
         pair < node->data.mapping.pairs.top; pair++)
    {
        key = yaml_document_get_node(&c->doc, pair->key);
        value = yaml_document_get_node(&c->doc, pair->value);

        if (key == NULL || value == NULL || key->type != YAML_SCALAR_NODE) {
            continue;
        }

        n = strlen(path);

        if (n + key->data.scalar.length + 2 > len) {
            continue;
        }

        if (n) {
            path[n++] = '.';
        }

        memcpy(path + n, key->data.scalar.value, key->data.scalar.length);
        path[n + key->data.scalar.length] = '\0';

        attck_config_walk(c, value, path, len);

        path[n ? n - 1 : 0] = '\0';
    }
}


void
attck_config_load(const char *file)
{
    FILE            *f;
    char             path[256];
    struct stat      st;
    yaml_node_t     *root;
    yaml_parser_t    parser;
    attck_config_t   c;

    f = fopen(file, "rb");
    if (f == NULL) {
        attck_fatal(ATTCK_EXIT_USAGE, "config %s cannot be read", file);
    }

    memset(&c, 0, sizeof(attck_config_t));
    c.file = file;

    yaml_parser_initialize(&parser);
    yaml_parser_set_input_file(&parser, f);

    if (!yaml_parser_load(&parser, &c.doc)) {
        attck_fatal(ATTCK_EXIT_USAGE, "config %s: line %zu: %s", file,
                    parser.problem_mark.line + 1,
                    parser.problem ? parser.problem : "not YAML");
    }

    root = yaml_document_get_root_node(&c.doc);

    if (root && root->type != YAML_MAPPING_NODE) {
        attck_fatal(ATTCK_EXIT_USAGE, "config %s: not a mapping of "
                    "sections", file);
    }

    if (root) {
        path[0] = '\0';
        attck_config_walk(&c, root, path, sizeof(path));
    }

    /* secrets only in a file others cannot read */

    if (c.secrets && fstat(fileno(f), &st) == 0 && (st.st_mode & S_IROTH)) {
        attck_log("warn", "config %s holds a key or password and can be "
                  "read by every user: chmod o-r it, or keep secrets in "
                  "the environment", file);
    }

    yaml_document_delete(&c.doc);
    yaml_parser_delete(&parser);
    fclose(f);
}
