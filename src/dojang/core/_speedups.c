/* The per-disclosure byte work of SD-JWT in C: base64url and SHA-256 in one call.
 *
 * Issuing and verifying an SD-JWT spends most of its time on many small disclosures, each of which
 * needs base64url and a SHA-256 digest. In Python that is half a dozen calls per disclosure; here it
 * is one. Nothing here parses JSON or decides validity: every function either returns exactly what
 * the pure-Python path in dojang.core.encoding would, or returns None so that the caller takes that
 * path and raises its precise error. tests/unit/core/test_speedups.py checks both paths agree.
 */
#include "_speedups.h"

#include <string.h>

#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/sha.h>

/* SHA-256 comes from OpenSSL's libcrypto, the library CPython's hashlib already loads. The low-level
 * calls are deprecated in OpenSSL 3 but are its fast path: the one-shot SHA256() fetches the algorithm
 * through the provider layer on every call, which costs more than hashing a disclosure. */

/* ---- base64url without padding (RFC 7515 §2) ---- */

static const char B64URL[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
static uint8_t B64URL_VALUE[256];  /* 0xFF: not in the alphabet */

Py_ssize_t dj_b64url_length(Py_ssize_t n) { return n / 3 * 4 + (n % 3 ? n % 3 + 1 : 0); }

void dj_b64url_encode(const uint8_t *in, Py_ssize_t n, Py_UCS1 *out)
{
    Py_ssize_t i = 0;
    for (; i + 3 <= n; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
        *out++ = B64URL[v >> 18];
        *out++ = B64URL[(v >> 12) & 63];
        *out++ = B64URL[(v >> 6) & 63];
        *out++ = B64URL[v & 63];
    }
    if (n - i == 1) {
        uint32_t v = (uint32_t)in[i] << 16;
        *out++ = B64URL[v >> 18];
        *out++ = B64URL[(v >> 12) & 63];
    } else if (n - i == 2) {
        uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8;
        *out++ = B64URL[v >> 18];
        *out++ = B64URL[(v >> 12) & 63];
        *out++ = B64URL[(v >> 6) & 63];
    }
}

/* Decode canonical base64url; -1 for anything else (bad length, character, or non-zero unused bits). */
static Py_ssize_t b64url_decode(const Py_UCS1 *in, Py_ssize_t n, uint8_t *out)
{
    if (n % 4 == 1) {
        return -1;
    }
    Py_ssize_t o = 0, i = 0;
    for (; i + 4 <= n; i += 4) {
        uint8_t a = B64URL_VALUE[in[i]], b = B64URL_VALUE[in[i + 1]];
        uint8_t c = B64URL_VALUE[in[i + 2]], d = B64URL_VALUE[in[i + 3]];
        if ((a | b | c | d) & 0xC0) {
            return -1;
        }
        uint32_t v = (uint32_t)a << 18 | (uint32_t)b << 12 | (uint32_t)c << 6 | d;
        out[o++] = (uint8_t)(v >> 16);
        out[o++] = (uint8_t)(v >> 8);
        out[o++] = (uint8_t)v;
    }
    Py_ssize_t rest = n - i;
    if (rest >= 2) {
        uint8_t a = B64URL_VALUE[in[i]], b = B64URL_VALUE[in[i + 1]];
        uint8_t c = rest == 3 ? B64URL_VALUE[in[i + 2]] : 0;
        if ((a | b | c) & 0xC0) {
            return -1;
        }
        if (rest == 2 ? (b & 0x0F) : (c & 0x03)) {
            return -1;
        }
        uint32_t v = (uint32_t)a << 18 | (uint32_t)b << 12 | (uint32_t)c << 6;
        out[o++] = (uint8_t)(v >> 16);
        if (rest == 3) {
            out[o++] = (uint8_t)(v >> 8);
        }
    }
    return o;
}

/* ---- Python functions ---- */

PyObject *dj_ascii_b64url(const uint8_t *data, Py_ssize_t n)
{
    PyObject *text = PyUnicode_New(dj_b64url_length(n), 127);
    if (text != NULL) {
        dj_b64url_encode(data, n, PyUnicode_1BYTE_DATA(text));
    }
    return text;
}

PyObject *dj_digest_of_ascii(const uint8_t *data, Py_ssize_t n)
{
    uint8_t hash[SHA256_DIGEST_LENGTH];
    SHA256_CTX ctx;
    SHA256_Init(&ctx);
    SHA256_Update(&ctx, data, (size_t)n);
    SHA256_Final(hash, &ctx);
    return dj_ascii_b64url(hash, 32);
}

PyDoc_STRVAR(digest_doc, "digest(text: str) -> str | None\n\n"
                         "base64url(SHA-256(text)) for ASCII text; None for anything else.");

static PyObject *py_digest(PyObject *self, PyObject *text)
{
    if (!PyUnicode_Check(text) || !PyUnicode_IS_ASCII(text)) {
        Py_RETURN_NONE;
    }
    return dj_digest_of_ascii(PyUnicode_1BYTE_DATA(text), PyUnicode_GET_LENGTH(text));
}

PyDoc_STRVAR(encode_doc, "encode_disclosure(json_text: str) -> tuple[str, str]\n\n"
                         "(base64url(UTF-8(json_text)), base64url(SHA-256(that))).");

static PyObject *py_encode_disclosure(PyObject *self, PyObject *json_text)
{
    Py_ssize_t size;
    const char *utf8 = PyUnicode_Check(json_text) ? PyUnicode_AsUTF8AndSize(json_text, &size) : NULL;
    if (utf8 == NULL) {
        if (!PyErr_Occurred()) {
            PyErr_SetString(PyExc_TypeError, "encode_disclosure takes a str");
        }
        return NULL;
    }
    PyObject *encoded = dj_ascii_b64url((const uint8_t *)utf8, size);
    if (encoded == NULL) {
        return NULL;
    }
    PyObject *digest = dj_digest_of_ascii(PyUnicode_1BYTE_DATA(encoded), PyUnicode_GET_LENGTH(encoded));
    if (digest == NULL) {
        Py_DECREF(encoded);
        return NULL;
    }
    PyObject *pair = PyTuple_Pack(2, encoded, digest);
    Py_DECREF(encoded);
    Py_DECREF(digest);
    return pair;
}

PyDoc_STRVAR(decode_doc, "decode_disclosure(encoded: str) -> tuple[str, str] | None\n\n"
                         "(UTF-8 text of the canonical base64url, its digest); None if either fails.");

static PyObject *py_decode_disclosure(PyObject *self, PyObject *encoded)
{
    if (!PyUnicode_Check(encoded) || !PyUnicode_IS_ASCII(encoded)) {
        Py_RETURN_NONE;
    }
    const Py_UCS1 *in = PyUnicode_1BYTE_DATA(encoded);
    Py_ssize_t n = PyUnicode_GET_LENGTH(encoded);
    uint8_t stack[1024];
    uint8_t *buf = n / 4 * 3 + 3 <= (Py_ssize_t)sizeof stack ? stack : PyMem_Malloc((size_t)(n / 4 * 3 + 3));
    if (buf == NULL) {
        return PyErr_NoMemory();
    }
    PyObject *result = NULL;
    Py_ssize_t size = b64url_decode(in, n, buf);
    if (size < 0) {
        result = Py_NewRef(Py_None);
        goto done;
    }
    PyObject *text = PyUnicode_DecodeUTF8((const char *)buf, size, "strict");
    if (text == NULL) {
        PyErr_Clear();
        result = Py_NewRef(Py_None);
        goto done;
    }
    PyObject *digest = dj_digest_of_ascii(in, n);
    if (digest != NULL) {
        result = PyTuple_Pack(2, text, digest);
        Py_DECREF(digest);
    }
    Py_DECREF(text);
done:
    if (buf != stack) {
        PyMem_Free(buf);
    }
    return result;
}

/* True when data[0..n) is one bracketed JSON array "[...]" whose first '[' is closed by its last
 * ']', strings skipped: then joining several such texts with ',' inside '[...]' gives an array
 * whose elements are exactly those texts, one each. */
static int one_array(const uint8_t *data, Py_ssize_t n)
{
    if (n < 2 || data[0] != '[' || data[n - 1] != ']') {
        return 0;
    }
    Py_ssize_t depth = 0;
    int in_string = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        uint8_t c = data[i];
        if (in_string) {
            if (c == '\\') {
                i++;
            } else if (c == '"') {
                in_string = 0;
            }
        } else if (c == '"') {
            in_string = 1;
        } else if (c == '[' || c == '{') {
            depth++;
        } else if (c == ']' || c == '}') {
            if (--depth == 0 && i != n - 1) {
                return 0;
            }
        }
    }
    return depth == 0 && !in_string;
}

PyDoc_STRVAR(decode_all_doc, "decode_disclosures(parts: list[str]) -> tuple[str, list[str]] | None\n\n"
                             "One JSON text '[d1,d2,...]' of the decoded disclosures and their digests, or\n"
                             "None when any part is not canonical base64url of a single bracketed array.");

static PyObject *py_decode_disclosures(PyObject *self, PyObject *parts)
{
    if (!PyList_Check(parts)) {
        Py_RETURN_NONE;
    }
    Py_ssize_t count = PyList_GET_SIZE(parts), total = 2;
    for (Py_ssize_t k = 0; k < count; k++) {
        PyObject *part = PyList_GET_ITEM(parts, k);
        if (!PyUnicode_Check(part) || !PyUnicode_IS_ASCII(part)) {
            Py_RETURN_NONE;
        }
        total += PyUnicode_GET_LENGTH(part) / 4 * 3 + 3 + 1;
    }
    uint8_t *buf = PyMem_Malloc((size_t)total);
    PyObject *digests = PyList_New(count);
    if (buf == NULL || digests == NULL) {
        PyMem_Free(buf);
        Py_XDECREF(digests);
        return PyErr_NoMemory();
    }
    PyObject *result = NULL;
    Py_ssize_t at = 0;
    buf[at++] = '[';
    for (Py_ssize_t k = 0; k < count; k++) {
        PyObject *part = PyList_GET_ITEM(parts, k);
        const Py_UCS1 *in = PyUnicode_1BYTE_DATA(part);
        Py_ssize_t n = PyUnicode_GET_LENGTH(part);
        if (k > 0) {
            buf[at++] = ',';
        }
        Py_ssize_t size = b64url_decode(in, n, buf + at);
        if (size < 0 || !one_array(buf + at, size)) {
            result = Py_NewRef(Py_None);
            goto done;
        }
        at += size;
        PyObject *digest = dj_digest_of_ascii(in, n);
        if (digest == NULL) {
            goto done;
        }
        PyList_SET_ITEM(digests, k, digest);
    }
    buf[at++] = ']';
    PyObject *text = PyUnicode_DecodeUTF8((const char *)buf, at, "strict");
    if (text == NULL) {
        PyErr_Clear();
        result = Py_NewRef(Py_None);
        goto done;
    }
    result = PyTuple_Pack(2, text, digests);
    Py_DECREF(text);
done:
    PyMem_Free(buf);
    Py_DECREF(digests);
    return result;
}

PyDoc_STRVAR(b64_doc, "b64url_decode(text: str) -> bytes | None\n\n"
                      "The bytes of canonical unpadded base64url text; None for anything else.");

static PyObject *py_b64url_decode(PyObject *self, PyObject *text)
{
    if (!PyUnicode_Check(text) || !PyUnicode_IS_ASCII(text)) {
        Py_RETURN_NONE;
    }
    Py_ssize_t n = PyUnicode_GET_LENGTH(text);
    PyObject *out = PyBytes_FromStringAndSize(NULL, n / 4 * 3 + 3);
    if (out == NULL) {
        return NULL;
    }
    Py_ssize_t size = b64url_decode(PyUnicode_1BYTE_DATA(text), n, (uint8_t *)PyBytes_AS_STRING(out));
    if (size < 0) {
        Py_DECREF(out);
        Py_RETURN_NONE;
    }
    if (_PyBytes_Resize(&out, size) < 0) {
        return NULL;
    }
    return out;
}

PyDoc_STRVAR(depth_doc, "json_depth_exceeds(text: str, limit: int) -> bool\n\n"
                        "True when JSON text nests arrays/objects deeper than limit (strings skipped).");

static PyObject *py_json_depth_exceeds(PyObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 2 || !PyUnicode_Check(args[0])) {
        PyErr_SetString(PyExc_TypeError, "json_depth_exceeds(text: str, limit: int)");
        return NULL;
    }
    Py_ssize_t limit = PyLong_AsSsize_t(args[1]);
    if (limit == -1 && PyErr_Occurred()) {
        return NULL;
    }
    int kind = PyUnicode_KIND(args[0]);
    const void *data = PyUnicode_DATA(args[0]);
    Py_ssize_t n = PyUnicode_GET_LENGTH(args[0]), depth = 0;
    int in_string = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        Py_UCS4 c = PyUnicode_READ(kind, data, i);
        if (in_string) {
            if (c == '\\') {
                i++;  /* the escaped character cannot end the string */
            } else if (c == '"') {
                in_string = 0;
            }
        } else if (c == '"') {
            in_string = 1;
        } else if (c == '[' || c == '{') {
            if (++depth > limit) {
                Py_RETURN_TRUE;
            }
        } else if (c == ']' || c == '}') {
            depth--;
        }
    }
    Py_RETURN_FALSE;
}

PyDoc_STRVAR(json_b64_doc, "json_b64url(value) -> str | None\n\n"
                           "base64url of the compact UTF-8 JSON of value; None for what the C encoder leaves\n"
                           "to Python (subclasses, non-str keys, non-finite floats, deep nesting).");

PyDoc_STRVAR(conceal_doc, "conceal(claims: dict, tree: PathTree, rng, decoys: int) -> tuple[dict, list[str]] | None\n\n"
                          "The issuance walk of dojang.core.sdjwt._issue: the payload with digests and the\n"
                          "encoded disclosures; None where the Python walk must decide.");

PyDoc_STRVAR(build_doc, "build_disclosures(cls, parts, digests, items) -> tuple | None\n\n"
                        "Disclosure tuples from parsed disclosure arrays; None if any is malformed.");

PyDoc_STRVAR(resolve_doc, "resolve(payload: dict, disclosures: tuple) -> tuple[dict, set[str], int] | None\n\n"
                          "The digest resolution of dojang.core.sdjwt._verify: the claims, the names disclosed\n"
                          "at the top level and how many disclosures were referenced; None where Python decides.");

static PyMethodDef methods[] = {
    {"json_b64url", dj_py_json_b64url, METH_O, json_b64_doc},
    {"conceal", (PyCFunction)(void (*)(void))dj_py_conceal, METH_FASTCALL, conceal_doc},
    {"build_disclosures", (PyCFunction)(void (*)(void))dj_py_build_disclosures, METH_FASTCALL, build_doc},
    {"resolve", (PyCFunction)(void (*)(void))dj_py_resolve, METH_FASTCALL, resolve_doc},
    {"decode_disclosures", py_decode_disclosures, METH_O, decode_all_doc},
    {"b64url_decode", py_b64url_decode, METH_O, b64_doc},
    {"json_depth_exceeds", (PyCFunction)(void (*)(void))py_json_depth_exceeds, METH_FASTCALL, depth_doc},
    {"digest", py_digest, METH_O, digest_doc},
    {"encode_disclosure", py_encode_disclosure, METH_O, encode_doc},
    {"decode_disclosure", py_decode_disclosure, METH_O, decode_doc},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "dojang.core._speedups",
    "The byte work and claim walks of SD-JWT in C (see the C sources' headers).", -1,
    methods,
};

PyMODINIT_FUNC PyInit__speedups(void)
{
    memset(B64URL_VALUE, 0xFF, sizeof B64URL_VALUE);
    for (int i = 0; i < 64; i++) {
        B64URL_VALUE[(uint8_t)B64URL[i]] = (uint8_t)i;
    }
    if (dj_claims_init() < 0) {
        return NULL;
    }
    return PyModule_Create(&module);
}
