/* What the C files of dojang.core._speedups share: base64url, SHA-256, a byte buffer, JSON text.
 *
 * Every function that can meet input it does not handle exactly like the pure-Python path returns
 * FALLBACK (no exception set); the Python caller then takes its own path, which decides and words
 * every refusal. FAIL means a real Python exception (out of memory, the random source raised).
 */
#ifndef DOJANG_SPEEDUPS_H
#define DOJANG_SPEEDUPS_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>

enum { OK = 0, FAIL = -1, FALLBACK = 1 };

/* Deepest nesting the C walks follow; deeper input takes the Python path (which has its own limits). */
#define MAX_C_DEPTH 100

Py_ssize_t dj_b64url_length(Py_ssize_t n);
void dj_b64url_encode(const uint8_t *in, Py_ssize_t n, Py_UCS1 *out);
/* base64url text (a new str) of data, and base64url(SHA-256(ASCII text)) of data. */
PyObject *dj_ascii_b64url(const uint8_t *data, Py_ssize_t n);
PyObject *dj_digest_of_ascii(const uint8_t *data, Py_ssize_t n);

/* A growable byte buffer that starts on the stack. */
typedef struct {
    uint8_t *data;
    Py_ssize_t len, cap;
    uint8_t stack[4096];
} Buf;

void buf_init(Buf *b);
void buf_free(Buf *b);
int buf_reserve(Buf *b, Py_ssize_t extra);
int buf_put(Buf *b, const void *s, Py_ssize_t n);

/* Compact JSON as json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
 * gives it, UTF-8 encoded, for exact dict/list/tuple/str/int/float/bool/None; FALLBACK otherwise. */
int dj_json(Buf *b, PyObject *value, int depth);
int dj_json_str(Buf *b, PyObject *text);

/* Module functions defined in _speedups_json.c and _speedups_claims.c. */
PyObject *dj_py_json_b64url(PyObject *self, PyObject *value);
PyObject *dj_py_conceal(PyObject *self, PyObject *const *args, Py_ssize_t nargs);
PyObject *dj_py_build_disclosures(PyObject *self, PyObject *const *args, Py_ssize_t nargs);
PyObject *dj_py_resolve(PyObject *self, PyObject *const *args, Py_ssize_t nargs);
int dj_claims_init(void);

#endif
