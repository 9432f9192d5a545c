/* Compact JSON text in C, byte for byte what dojang.core.encoding.canonical_json gives as UTF-8.
 *
 * Issuing a credential turns dozens of small values and one large payload into JSON; the standard
 * encoder's per-call set-up costs more than the encoding. Only exact built-in types are handled
 * (subclasses, other key types and non-finite floats return FALLBACK for the Python encoder).
 */
#include "_speedups.h"

#include <math.h>
#include <string.h>

void buf_init(Buf *b)
{
    b->data = b->stack;
    b->len = 0;
    b->cap = (Py_ssize_t)sizeof b->stack;
}

void buf_free(Buf *b)
{
    if (b->data != b->stack) {
        PyMem_Free(b->data);
    }
    buf_init(b);
}

int buf_reserve(Buf *b, Py_ssize_t extra)
{
    if (extra > PY_SSIZE_T_MAX / 2 - b->len) {
        PyErr_NoMemory();
        return FAIL;
    }
    if (b->len + extra <= b->cap) {
        return OK;
    }
    Py_ssize_t cap = b->cap * 2;
    while (cap < b->len + extra) {
        cap *= 2;
    }
    uint8_t *grown;
    if (b->data == b->stack) {
        grown = PyMem_Malloc((size_t)cap);
        if (grown != NULL) {
            memcpy(grown, b->stack, (size_t)b->len);
        }
    } else {
        grown = PyMem_Realloc(b->data, (size_t)cap);
    }
    if (grown == NULL) {
        PyErr_NoMemory();
        return FAIL;
    }
    b->data = grown;
    b->cap = cap;
    return OK;
}

int buf_put(Buf *b, const void *s, Py_ssize_t n)
{
    if (buf_reserve(b, n) != OK) {
        return FAIL;
    }
    memcpy(b->data + b->len, s, (size_t)n);
    b->len += n;
    return OK;
}

static const char HEX[] = "0123456789abcdef";

/* A JSON string as Python's encoder writes it with ensure_ascii=False: '"' and '\\' escaped, the
 * five short escapes, other control characters as lowercase \u00XX; everything else as UTF-8. */
int dj_json_str(Buf *b, PyObject *text)
{
    Py_ssize_t n;
    const char *utf8 = PyUnicode_AsUTF8AndSize(text, &n);
    if (utf8 == NULL) {  /* lone surrogates: the Python path raises its own error */
        PyErr_Clear();
        return FALLBACK;
    }
    if (n > PY_SSIZE_T_MAX / 8) {
        return FALLBACK;
    }
    if (buf_reserve(b, n * 6 + 2) != OK) {
        return FAIL;
    }
    uint8_t *out = b->data + b->len;
    *out++ = '"';
    for (Py_ssize_t i = 0; i < n; i++) {
        uint8_t c = (uint8_t)utf8[i];
        if (c >= 0x20 && c != '"' && c != '\\') {
            *out++ = c;
            continue;
        }
        *out++ = '\\';
        switch (c) {
        case '"': *out++ = '"'; break;
        case '\\': *out++ = '\\'; break;
        case '\b': *out++ = 'b'; break;
        case '\f': *out++ = 'f'; break;
        case '\n': *out++ = 'n'; break;
        case '\r': *out++ = 'r'; break;
        case '\t': *out++ = 't'; break;
        default:
            *out++ = 'u';
            *out++ = '0';
            *out++ = '0';
            *out++ = (uint8_t)HEX[c >> 4];
            *out++ = (uint8_t)HEX[c & 15];
        }
    }
    *out++ = '"';
    b->len = out - b->data;
    return OK;
}

/* int.__repr__ or float.__repr__, as the encoder writes numbers. */
static int json_number(Buf *b, PyObject *number)
{
    PyObject *text = PyObject_Repr(number);
    if (text == NULL) {  /* an int over the digit limit: let the Python path raise */
        PyErr_Clear();
        return FALLBACK;
    }
    Py_ssize_t n;
    const char *utf8 = PyUnicode_AsUTF8AndSize(text, &n);
    int rc = utf8 == NULL ? FAIL : buf_put(b, utf8, n);
    Py_DECREF(text);
    return rc;
}

static int json_sequence(Buf *b, PyObject *seq, int depth)
{
    Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
    PyObject **items = PySequence_Fast_ITEMS(seq);
    if (buf_put(b, "[", 1) != OK) {
        return FAIL;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        int rc = i > 0 ? buf_put(b, ",", 1) : OK;
        if (rc == OK) {
            rc = dj_json(b, items[i], depth + 1);
        }
        if (rc != OK) {
            return rc;
        }
    }
    return buf_put(b, "]", 1);
}

static int json_object(Buf *b, PyObject *obj, int depth)
{
    PyObject *key, *value;
    Py_ssize_t pos = 0;
    int first = 1;
    if (buf_put(b, "{", 1) != OK) {
        return FAIL;
    }
    while (PyDict_Next(obj, &pos, &key, &value)) {
        if (!PyUnicode_CheckExact(key)) {
            return FALLBACK;
        }
        int rc = first ? OK : buf_put(b, ",", 1);
        first = 0;
        if (rc == OK) {
            rc = dj_json_str(b, key);
        }
        if (rc == OK) {
            rc = buf_put(b, ":", 1);
        }
        if (rc == OK) {
            rc = dj_json(b, value, depth + 1);
        }
        if (rc != OK) {
            return rc;
        }
    }
    return buf_put(b, "}", 1);
}

int dj_json(Buf *b, PyObject *value, int depth)
{
    if (depth > MAX_C_DEPTH) {
        return FALLBACK;  /* deep, or a cycle: the Python encoder decides */
    }
    if (PyUnicode_CheckExact(value)) {
        return dj_json_str(b, value);
    }
    if (value == Py_None) {
        return buf_put(b, "null", 4);
    }
    if (value == Py_True) {
        return buf_put(b, "true", 4);
    }
    if (value == Py_False) {
        return buf_put(b, "false", 5);
    }
    if (PyLong_CheckExact(value)) {
        return json_number(b, value);
    }
    if (PyFloat_CheckExact(value)) {
        return isfinite(PyFloat_AS_DOUBLE(value)) ? json_number(b, value) : FALLBACK;
    }
    if (PyDict_CheckExact(value)) {
        return json_object(b, value, depth);
    }
    if (PyList_CheckExact(value) || PyTuple_CheckExact(value)) {
        return json_sequence(b, value, depth);
    }
    return FALLBACK;
}

PyObject *dj_py_json_b64url(PyObject *self, PyObject *value)
{
    Buf b;
    buf_init(&b);
    int rc = dj_json(&b, value, 0);
    PyObject *result = NULL;
    if (rc == OK) {
        result = dj_ascii_b64url(b.data, b.len);
    } else if (rc == FALLBACK) {
        result = Py_NewRef(Py_None);
    }
    buf_free(&b);
    return result;
}
