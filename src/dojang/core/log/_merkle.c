/* RFC 9162 §2.1.1 Merkle hashing in C: the leaf hashes of a batch, the roots of perfect subtrees.
 *
 * The sequencer and the audit hash every entry once (SHA-256(0x00 || entry)) and every interior node
 * of every tile once (SHA-256(0x01 || left || right)); in Python each of those is several calls and a
 * few objects. Here a whole batch is one call, and the hashing runs without the GIL. Nothing here
 * decides anything: each function returns exactly the bytes of its pure-Python twin in
 * dojang.core.log._hashing, or raises the same exception type for the same input
 * (tests/unit/core/log/test_log_merkle_c.py checks both).
 *
 * Inputs come from storage and from the network (tiles), so every length is checked before it is
 * used, and sizes are computed so that they cannot overflow.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/sha.h>

/* SHA-256 comes from OpenSSL's libcrypto, which CPython's hashlib already loads. The low-level calls
 * are deprecated in OpenSSL 3 but are its fast path (see dojang/core/_speedups.c). */

#define HASH 32
/* Perfect subtrees taller than this hold more bytes than a Py_ssize_t counts: only empty input fits. */
#define MAX_FITTING_HEIGHT ((int)(8 * sizeof(Py_ssize_t)) - 7)
/* A tree of a log never has more than 2**63 leaves (C2SP tile levels 0-63). */
#define MAX_HEIGHT 63
/* Below this many bytes of hashing, releasing the GIL costs more than it gives. */
#define GIL_FREE_BYTES 8192

static void hash_leaf(const uint8_t *entry, size_t n, uint8_t *out)
{
    static const uint8_t prefix = 0x00;
    SHA256_CTX ctx;
    SHA256_Init(&ctx);
    SHA256_Update(&ctx, &prefix, 1);
    SHA256_Update(&ctx, entry, n);
    SHA256_Final(out, &ctx);
}

/* out may be the first bytes of pair: the pair is copied before the digest is written. */
static void hash_node(const uint8_t *pair, uint8_t *out)
{
    uint8_t block[1 + 2 * HASH];
    block[0] = 0x01;
    memcpy(block + 1, pair, 2 * HASH);
    SHA256_CTX ctx;
    SHA256_Init(&ctx);
    SHA256_Update(&ctx, block, sizeof block);
    SHA256_Final(out, &ctx);
}

/* ---- leaf_hashes ---- */

typedef struct {
    const uint8_t *data;
    size_t len;
} Span;

PyDoc_STRVAR(leaf_hashes_doc, "leaf_hashes(entries: Sequence[bytes], /) -> list[bytes]\n\n"
                              "[SHA-256(0x00 || entry) for entry in entries]; each entry is bytes-like.");

static PyObject *py_leaf_hashes(PyObject *self, PyObject *arg)
{
    (void)self;
    /* A private tuple keeps every entry alive (and the count fixed) while the GIL is released. */
    PyObject *items = PySequence_Tuple(arg);
    if (items == NULL) {
        return NULL;
    }
    Py_ssize_t n = PyTuple_GET_SIZE(items);
    PyObject *copies = NULL, *result = NULL;
    Span *spans = NULL;
    uint8_t *digests = NULL;
    if ((size_t)n > PY_SSIZE_T_MAX / HASH) {
        PyErr_NoMemory();
        goto done;
    }
    spans = PyMem_Malloc(sizeof(Span) * (size_t)(n ? n : 1));
    digests = PyMem_Malloc((size_t)HASH * (size_t)(n ? n : 1));
    copies = PyList_New(0);
    if (spans == NULL || digests == NULL || copies == NULL) {
        if (!PyErr_Occurred()) {
            PyErr_NoMemory();
        }
        goto done;
    }
    size_t total = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *item = PyTuple_GET_ITEM(items, i);
        if (!PyBytes_Check(item)) {
            /* bytearray, memoryview: a bytes copy, which nobody else can change meanwhile. Anything
             * else is refused, as b"\x00" + item refuses it. */
            if (!PyObject_CheckBuffer(item)) {
                PyErr_Format(PyExc_TypeError, "can't concat %.100s to bytes", Py_TYPE(item)->tp_name);
                goto done;
            }
            item = PyBytes_FromObject(item);
            if (item == NULL || PyList_Append(copies, item) < 0) {
                Py_XDECREF(item);
                goto done;
            }
            Py_DECREF(item); /* the list holds it */
        }
        spans[i].data = (const uint8_t *)PyBytes_AS_STRING(item);
        spans[i].len = (size_t)PyBytes_GET_SIZE(item);
        total += spans[i].len + HASH;
    }
    if (total >= GIL_FREE_BYTES) {
        Py_BEGIN_ALLOW_THREADS
        for (Py_ssize_t i = 0; i < n; i++) {
            hash_leaf(spans[i].data, spans[i].len, digests + (size_t)i * HASH);
        }
        Py_END_ALLOW_THREADS
    } else {
        for (Py_ssize_t i = 0; i < n; i++) {
            hash_leaf(spans[i].data, spans[i].len, digests + (size_t)i * HASH);
        }
    }
    result = PyList_New(n);
    if (result == NULL) {
        goto done;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *digest = PyBytes_FromStringAndSize((const char *)digests + (size_t)i * HASH, HASH);
        if (digest == NULL) {
            Py_CLEAR(result);
            goto done;
        }
        PyList_SET_ITEM(result, i, digest);
    }
done:
    PyMem_Free(spans);
    PyMem_Free(digests);
    Py_XDECREF(copies);
    Py_DECREF(items);
    return result;
}

/* ---- subtree_roots ---- */

PyDoc_STRVAR(subtree_roots_doc,
             "subtree_roots(hashes: bytes, height: int, /) -> bytes\n\n"
             "The root of each consecutive perfect subtree of 2**height of the concatenated 32-byte\n"
             "hashes, concatenated. ValueError unless 0 <= height <= 63 and len(hashes) is a multiple\n"
             "of 32 << height.");

/* Hash pairs level by level, height times: the first pass reads src, the others work in place in dst
 * (node i of a level only reads nodes 2i and 2i + 1 of the level below, which it does not overwrite
 * before reading). len is a multiple of HASH << height, height >= 1; dst holds len / 2 bytes. */
static void reduce(const uint8_t *src, size_t len, int height, uint8_t *dst)
{
    size_t nodes = len / (2 * HASH);
    for (size_t i = 0; i < nodes; i++) {
        hash_node(src + i * 2 * HASH, dst + i * HASH);
    }
    for (int level = 1; level < height; level++) {
        nodes /= 2;
        for (size_t i = 0; i < nodes; i++) {
            hash_node(dst + i * 2 * HASH, dst + i * HASH);
        }
    }
}

static PyObject *py_subtree_roots(PyObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    (void)self;
    if (nargs != 2) {
        PyErr_SetString(PyExc_TypeError, "subtree_roots() takes exactly 2 arguments (hashes, height)");
        return NULL;
    }
    int overflow = 0;
    long height = PyLong_AsLongAndOverflow(args[1], &overflow);
    if (height == -1 && PyErr_Occurred()) {
        return NULL;
    }
    Py_buffer view;
    if (PyObject_GetBuffer(args[0], &view, PyBUF_SIMPLE) < 0) {
        return NULL;
    }
    PyObject *result = NULL;
    size_t len = (size_t)view.len;
    if (overflow || height < 0 || height > MAX_HEIGHT) {
        PyErr_Format(PyExc_ValueError, "subtree height %R is outside 0-%d", args[1], MAX_HEIGHT);
        goto done;
    }
    if (height > MAX_FITTING_HEIGHT ? len != 0 : len % ((size_t)HASH << height) != 0) {
        PyErr_Format(PyExc_ValueError, "%zd bytes are not whole subtrees of 2**%ld hashes of %d bytes",
                     view.len, height, HASH);
        goto done;
    }
    if (height == 0 || len == 0) {
        result = PyBytes_FromStringAndSize(view.buf, view.len);
        goto done;
    }
    uint8_t *work = PyMem_Malloc(len / 2);
    if (work == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    /* The buffer stays exported (so it cannot be resized) while the GIL is released. */
    if (len >= GIL_FREE_BYTES) {
        Py_BEGIN_ALLOW_THREADS
        reduce(view.buf, len, (int)height, work);
        Py_END_ALLOW_THREADS
    } else {
        reduce(view.buf, len, (int)height, work);
    }
    result = PyBytes_FromStringAndSize((const char *)work, (Py_ssize_t)(len >> height));
    PyMem_Free(work);
done:
    PyBuffer_Release(&view);
    return result;
}

static PyMethodDef methods[] = {
    {"leaf_hashes", py_leaf_hashes, METH_O, leaf_hashes_doc},
    {"subtree_roots", (PyCFunction)(void (*)(void))py_subtree_roots, METH_FASTCALL, subtree_roots_doc},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT,
    .m_name = "dojang.core.log._merkle",
    .m_doc = "RFC 9162 leaf hashes and perfect-subtree roots in C (see dojang.core.log._hashing).",
    .m_size = -1,
    .m_methods = methods,
};

PyMODINIT_FUNC PyInit__merkle(void) { return PyModule_Create(&module); }
