
/*
 * attck: the mapper's classifier, shared by the worker ("classify",
 * "map") and the module (POST {api}/map) so that one text gets one
 * answer byte for byte.  Plain C over a model file used in place
 * (attck_model_format.h); no allocation: the caller gives the memory.
 *
 * A text is split into sentences; each is scored on its own (TF-IDF of
 * its terms, one linear model per technique); a document's technique
 * takes its best sentence's margin, calibrated for documents, and names
 * the sentences that support it.
 */

#ifndef _ATTCK_CLS_H_INCLUDED_
#define _ATTCK_CLS_H_INCLUDED_


#include <stddef.h>
#include <stdint.h>

#include "attck_model_format.h"


#define ATTCK_CLS_EVIDENCE      3     /* terms per technique */
#define ATTCK_CLS_SUPPORT       3     /* sentences per technique */
#define ATTCK_CLS_MAX_EXPLICIT  64
#define ATTCK_CLS_MAX_K         1000  /* techniques asked for */
#define ATTCK_CLS_MAX_SENTENCE  1024  /* bytes: longer runs are cut */
#define ATTCK_CLS_MAX_TERMS     2048  /* per sentence, the rest ignored */

/* a supporting sentence must score at least this (its best always does) */
#define ATTCK_CLS_SUPPORT_MIN   0.2


typedef struct {
    const attck_model_header_t   *hdr;
    const uint32_t               *term_off;
    const float                  *idf;
    const uint32_t               *starts;
    const attck_model_posting_t  *postings;
    const attck_model_class_t    *classes;
    const uint32_t               *slots;
    const char                   *strings;
    uint32_t                      nterms;
    uint32_t                      nclasses;
} attck_cls_model_t;


typedef struct {
    uint32_t     start;           /* byte offsets into the text */
    uint32_t     end;
} attck_cls_span_t;


typedef struct {
    uint32_t          cls;
    float             score;      /* calibrated, [0,1] */
    float             margin;
    unsigned          explicit:1;
    uint32_t          nevidence;
    uint32_t          evidence[ATTCK_CLS_EVIDENCE];     /* term ids */
    double            ev[ATTCK_CLS_EVIDENCE];           /* their weights */
    uint32_t          nsupport;
    attck_cls_span_t  support[ATTCK_CLS_SUPPORT];       /* best first */
} attck_cls_hit_t;


typedef struct {
    uint32_t     id;
    float        w;
} attck_cls_feat_t;


/* scratch memory for one text at a time (attck_cls_work_size) */
typedef struct {
    float             *margin;     /* nclasses */
    float             *best;       /* nclasses * ATTCK_CLS_SUPPORT */
    uint32_t          *best_sent;  /* nclasses * ATTCK_CLS_SUPPORT */
    uint32_t          *ids;        /* ATTCK_CLS_MAX_TERMS */
    attck_cls_feat_t  *feat;       /* ATTCK_CLS_MAX_TERMS */
    attck_cls_span_t  *sent;       /* max_sentences */
    uint16_t          *slot;       /* nclasses: hit + 1 of a class, or 0 */
    size_t             max_sentences;
} attck_cls_work_t;


/*
 * Checks a model file in place (magic, version, size, CRC-32, every
 * offset, index, order and number) and points m into it: 0, or -1 with
 * err set.  buf must stay and be 4-byte aligned.
 */
int attck_cls_open(attck_cls_model_t *m, const void *buf, size_t size,
    char *err, size_t errlen);

/* points m into a model that attck_cls_open checked before */
void attck_cls_attach(attck_cls_model_t *m, const void *buf);

/* whether text is well-formed UTF-8 */
int attck_cls_utf8(const char *text, size_t len);

/* the class of a technique id, or -1 */
int64_t attck_cls_class(const attck_cls_model_t *m, const char *id);

/* a term's id, or -1 */
int64_t attck_cls_term(const attck_cls_model_t *m, const char *term,
    size_t len);

#define attck_cls_term_str(m, id)  ((m)->strings + (m)->term_off[id])

/* the FNV-1a hash that places terms in the slots */
uint32_t attck_cls_hash(const char *s, size_t len);

/* bytes of work memory for texts of up to max_sentences sentences */
size_t attck_cls_work_size(const attck_cls_model_t *m, size_t max_sentences);
void attck_cls_work_init(attck_cls_work_t *w, const attck_cls_model_t *m,
    void *mem, size_t max_sentences);

/*
 * Splits text into sentences, robust to CTI text: a period ends one only
 * before white space and a capital, digit, quote or bullet (never inside
 * "cmd.exe /c", "1.2.3.4", "hxxp://a.b/c", "e.g. this" or "C:\a.b");
 * line breaks end one after sentence punctuation, before a bullet or
 * numbered item, or at a blank line; runs longer than
 * ATTCK_CLS_MAX_SENTENCE are cut at a space.  Spans are trimmed of white
 * space and bullets and hold at least one letter or digit.  Returns how
 * many spans there were (more than max: only max were stored).
 */
size_t attck_cls_split(const char *text, size_t len, attck_cls_span_t *spans,
    size_t max);

/*
 * Classifies a text: technique ids written in it first (score 1,
 * explicit), then the model's best k others scoring at least threshold,
 * best first.  hits must hold ATTCK_CLS_MAX_EXPLICIT + k.  *nsent gets
 * the number of sentences scored.  Returns how many hits were stored.
 */
size_t attck_cls_classify(const attck_cls_model_t *m, attck_cls_work_t *w,
    const char *text, size_t len, size_t k, double threshold,
    attck_cls_hit_t *hits, size_t *nsent);

/* a calibrated score from a margin */
double attck_cls_calibrate(float a, float b, double margin);

/*
 * The JSON array of hits, as classify and POST map give it:
 *   [{"id":"T1059.001","score":0.9944,"method":"model",
 *     "evidence":["powershell",...],
 *     "sentences":[{"start":0,"end":57,"text":"..."}]}, ...]
 * ("sentences" only when the text had more than one).  Writes at most
 * cap bytes to out; returns the length the whole array needs.
 */
size_t attck_cls_json(const attck_cls_model_t *m, const char *text,
    const attck_cls_hit_t *hits, size_t n, size_t nsent, char *out,
    size_t cap);


#endif /* _ATTCK_CLS_H_INCLUDED_ */
