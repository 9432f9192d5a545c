/* The claim walks of SD-JWT in C: issuance's concealment and verification's digest resolution.
 *
 * conceal() does what dojang.core.sdjwt._issue._Concealer does and resolve() what
 * dojang.core.sdjwt._verify._Resolver does, with the same salts in the same order, so that the
 * tests can compare both paths byte for byte. Whatever the Python walk would refuse, or treats in a
 * way these do not follow exactly (subclasses, other mappings, reserved names, repeated salts or
 * digests, deep nesting), returns None: the caller then runs the Python walk, which raises the
 * precise error.
 */
#include "_speedups.h"

#include <stdlib.h>
#include <string.h>

#define SALT_BYTES 18
#define SALT_CHARS 24
#define SALTS_PER_DRAW 32

static PyObject *S_marked, *S_children, *S_child, *S_sd, *S_dots, *S_sd_alg;

int dj_claims_init(void)
{
    S_marked = PyUnicode_InternFromString("marked");
    S_children = PyUnicode_InternFromString("children");
    S_child = PyUnicode_InternFromString("child");
    S_sd = PyUnicode_InternFromString("_sd");
    S_dots = PyUnicode_InternFromString("...");
    S_sd_alg = PyUnicode_InternFromString("_sd_alg");
    return S_marked && S_children && S_child && S_sd && S_dots && S_sd_alg ? 0 : -1;
}

static int is_scalar(PyObject *v)
{
    return PyUnicode_CheckExact(v) || PyLong_CheckExact(v) || PyFloat_CheckExact(v) || PyBool_Check(v) ||
           v == Py_None;
}

/* 1 when key is the str "_sd" or "...", the names SD-JWT reserves; 0 otherwise. */
static int is_reserved(PyObject *key)
{
    return PyUnicode_CheckExact(key) &&
           (PyUnicode_Compare(key, S_sd) == 0 || PyUnicode_Compare(key, S_dots) == 0);
}

/* ---- issuance ---- */

typedef struct {
    PyObject *rng;
    Py_ssize_t decoys;
    PyObject *disclosures; /* encoded disclosures in document order */
    PyObject *draws;       /* the random draws, kept alive while salts point into them */
    const uint8_t *pool;   /* the current draw; salts are taken from its end, as the Python pool pops */
    int left;
    const uint8_t **salts; /* every salt used, for the repeated-salt check */
    Py_ssize_t nsalts, salts_cap;
    int fallback;
    Buf buf;
} Walk;

static PyObject *fall_back(Walk *w)
{
    w->fallback = 1;
    return NULL;
}

static const uint8_t *next_salt(Walk *w)
{
    if (w->left == 0) {
        PyObject *drawn = PyObject_CallFunction(w->rng, "n", (Py_ssize_t)(SALT_BYTES * SALTS_PER_DRAW));
        if (drawn == NULL) {
            return NULL;
        }
        if (!PyBytes_CheckExact(drawn) || PyBytes_GET_SIZE(drawn) != SALT_BYTES * SALTS_PER_DRAW) {
            Py_DECREF(drawn);
            fall_back(w);
            return NULL;
        }
        int rc = PyList_Append(w->draws, drawn);
        Py_DECREF(drawn); /* the list keeps it alive */
        if (rc < 0) {
            return NULL;
        }
        w->pool = (const uint8_t *)PyBytes_AS_STRING(drawn);
        w->left = SALTS_PER_DRAW;
    }
    if (w->nsalts == w->salts_cap) {
        Py_ssize_t cap = w->salts_cap ? w->salts_cap * 2 : 64;
        const uint8_t **grown = PyMem_Realloc(w->salts, (size_t)cap * sizeof *grown);
        if (grown == NULL) {
            PyErr_NoMemory();
            return NULL;
        }
        w->salts = grown;
        w->salts_cap = cap;
    }
    w->left--;
    const uint8_t *salt = w->pool + (Py_ssize_t)w->left * SALT_BYTES;
    w->salts[w->nsalts++] = salt;
    return salt;
}

/* Encode ["salt","name",value] (or ["salt",value] when name is NULL), keep it, return its digest. */
static PyObject *disclose(Walk *w, PyObject *name, PyObject *value)
{
    const uint8_t *salt = next_salt(w);
    if (salt == NULL) {
        return NULL;
    }
    Buf *b = &w->buf;
    b->len = 0;
    if (buf_reserve(b, SALT_CHARS + 4) != OK) {
        return NULL;
    }
    memcpy(b->data, "[\"", 2);
    dj_b64url_encode(salt, SALT_BYTES, b->data + 2);
    memcpy(b->data + 2 + SALT_CHARS, "\",", 2);
    b->len = SALT_CHARS + 4;
    int rc = OK;
    if (name != NULL) {
        rc = dj_json_str(b, name);
        if (rc == OK) {
            rc = buf_put(b, ",", 1);
        }
    }
    if (rc == OK) {
        rc = dj_json(b, value, 0);
    }
    if (rc == OK) {
        rc = buf_put(b, "]", 1);
    }
    if (rc != OK) {
        return rc == FALLBACK ? fall_back(w) : NULL;
    }
    PyObject *encoded = dj_ascii_b64url(b->data, b->len);
    if (encoded == NULL) {
        return NULL;
    }
    PyObject *digest = dj_digest_of_ascii(PyUnicode_1BYTE_DATA(encoded), PyUnicode_GET_LENGTH(encoded));
    if (digest != NULL && PyList_Append(w->disclosures, encoded) < 0) {
        Py_CLEAR(digest);
    }
    Py_DECREF(encoded);
    return digest;
}

/* A decoy: the digest of a fresh salt, which without the salt is uniformly random. */
static PyObject *decoy(Walk *w)
{
    const uint8_t *salt = next_salt(w);
    if (salt == NULL) {
        return NULL;
    }
    Py_UCS1 text[SALT_CHARS];
    dj_b64url_encode(salt, SALT_BYTES, text);
    return dj_digest_of_ascii(text, SALT_CHARS);
}

/* OK when a plain value holds no reserved claim name anywhere; FALLBACK when it does (or is unusual). */
static int plain_ok(PyObject *v, int depth)
{
    if (is_scalar(v)) {
        return OK;
    }
    if (depth > MAX_C_DEPTH) {
        return FALLBACK;
    }
    if (PyDict_CheckExact(v)) {
        PyObject *key, *sub;
        Py_ssize_t pos = 0;
        while (PyDict_Next(v, &pos, &key, &sub)) {
            int rc = is_reserved(key) ? FALLBACK : plain_ok(sub, depth + 1);
            if (rc != OK) {
                return rc;
            }
        }
        return OK;
    }
    if (PyList_CheckExact(v)) {
        for (Py_ssize_t i = 0; i < PyList_GET_SIZE(v); i++) {
            int rc = plain_ok(PyList_GET_ITEM(v, i), depth + 1);
            if (rc != OK) {
                return rc;
            }
        }
        return OK;
    }
    return FALLBACK;
}

static int tree_marked(PyObject *node)
{
    PyObject *marked = PyObject_GetAttr(node, S_marked);
    if (marked == NULL) {
        return -1;
    }
    int result = PyObject_IsTrue(marked);
    Py_DECREF(marked);
    return result;
}

/* The node's children dict (new reference), or NULL with an exception or the fallback flag. */
static PyObject *tree_children(Walk *w, PyObject *node)
{
    PyObject *children = PyObject_GetAttr(node, S_children);
    if (children != NULL && !PyDict_CheckExact(children)) {
        Py_DECREF(children);
        return fall_back(w);
    }
    return children;
}

static PyObject *conceal_object(Walk *w, PyObject *claims, PyObject *children, int depth);
static PyObject *conceal_array(Walk *w, PyObject *items, PyObject *node, PyObject *children, int depth);

static PyObject *conceal_value(Walk *w, PyObject *v, PyObject *node, int depth)
{
    if (is_scalar(v)) {
        return Py_NewRef(v);
    }
    if (depth > MAX_C_DEPTH) {
        return fall_back(w);
    }
    PyObject *children = node == NULL ? NULL : tree_children(w, node);
    if (node != NULL && children == NULL) {
        return NULL;
    }
    PyObject *result;
    if (children == NULL || PyDict_GET_SIZE(children) == 0) {
        result = plain_ok(v, depth) == OK ? Py_NewRef(v) : fall_back(w);
    } else if (PyDict_CheckExact(v)) {
        result = conceal_object(w, v, children, depth + 1);
    } else if (PyList_CheckExact(v)) {
        result = conceal_array(w, v, node, children, depth + 1);
    } else {
        result = fall_back(w);
    }
    Py_XDECREF(children);
    return result;
}

/* Add the decoys, sort (hiding the claims' order, RFC 9901 §4.2.4.1) and set out["_sd"]. */
static int finish_digests(Walk *w, PyObject *out, PyObject *digests)
{
    for (Py_ssize_t i = 0; i < w->decoys; i++) {
        PyObject *digest = decoy(w);
        if (digest == NULL) {
            return -1;
        }
        int rc = PyList_Append(digests, digest);
        Py_DECREF(digest);
        if (rc < 0) {
            return -1;
        }
    }
    if (PyList_Sort(digests) < 0) {
        return -1;
    }
    return PyDict_SetItem(out, S_sd, digests);
}

/* One claim of an object: a plain value goes into out, a marked one becomes a digest. */
static int conceal_claim(Walk *w, PyObject *out, PyObject *digests, PyObject *name, PyObject *raw,
                         PyObject *sub, int depth)
{
    if (sub == NULL) {
        if (plain_ok(raw, depth) != OK) {
            fall_back(w);
            return -1;
        }
        return PyDict_SetItem(out, name, raw);
    }
    PyObject *value = conceal_value(w, raw, sub, depth);
    if (value == NULL) {
        return -1;
    }
    int marked = tree_marked(sub), rc = -1;
    if (marked == 1) {
        PyObject *digest = disclose(w, name, value);
        if (digest != NULL) {
            rc = PyList_Append(digests, digest);
            Py_DECREF(digest);
        }
    } else if (marked == 0) {
        rc = PyDict_SetItem(out, name, value);
    }
    Py_DECREF(value);
    return rc;
}

static PyObject *conceal_object(Walk *w, PyObject *claims, PyObject *children, int depth)
{
    PyObject *out = PyDict_New(), *digests = PyList_New(0);
    if (out == NULL || digests == NULL) {
        goto fail;
    }
    PyObject *name, *raw;
    Py_ssize_t pos = 0;
    while (PyDict_Next(claims, &pos, &name, &raw)) {
        if (!PyUnicode_CheckExact(name) || is_reserved(name)) {
            fall_back(w);
            goto fail;
        }
        PyObject *sub = PyDict_GetItemWithError(children, name);
        if (sub == NULL && PyErr_Occurred()) {
            goto fail;
        }
        /* Held while the walk may call back into Python (the random source, the tree's child()). */
        Py_INCREF(name);
        Py_INCREF(raw);
        Py_XINCREF(sub);
        int rc = conceal_claim(w, out, digests, name, raw, sub, depth);
        Py_DECREF(name);
        Py_DECREF(raw);
        Py_XDECREF(sub);
        if (rc < 0) {
            goto fail;
        }
    }
    if (PyList_GET_SIZE(digests) > 0 && finish_digests(w, out, digests) < 0) {
        goto fail;
    }
    Py_DECREF(digests);
    return out;
fail:
    Py_XDECREF(out);
    Py_XDECREF(digests);
    return NULL;
}

/* The subtree for array index i: the exact entry, the wildcard (None), or both merged by the tree. */
static PyObject *array_child(PyObject *node, PyObject *children, PyObject *wild, Py_ssize_t i)
{
    PyObject *index = PyLong_FromSsize_t(i);
    if (index == NULL) {
        return NULL;
    }
    PyObject *exact = PyDict_GetItemWithError(children, index), *sub;
    if (exact != NULL && wild != NULL) {
        sub = PyObject_CallMethodOneArg(node, S_child, index);
    } else if (exact == NULL && PyErr_Occurred()) {
        sub = NULL;
    } else {
        sub = Py_XNewRef(exact != NULL ? exact : wild);
        if (sub == NULL) {
            sub = Py_NewRef(Py_None);
        }
    }
    Py_DECREF(index);
    return sub;
}

static PyObject *conceal_element(Walk *w, PyObject *raw, PyObject *sub, int depth)
{
    PyObject *value = conceal_value(w, raw, sub, depth);
    if (value == NULL || sub == NULL) {
        return value;
    }
    int marked = tree_marked(sub);
    if (marked != 1) {
        if (marked < 0) {
            Py_CLEAR(value);
        }
        return value;
    }
    PyObject *digest = disclose(w, NULL, value), *item = NULL;
    Py_DECREF(value);
    if (digest != NULL) {
        item = PyDict_New();
        if (item != NULL && PyDict_SetItem(item, S_dots, digest) < 0) {
            Py_CLEAR(item);
        }
        Py_DECREF(digest);
    }
    return item;
}

static PyObject *conceal_array(Walk *w, PyObject *items, PyObject *node, PyObject *children, int depth)
{
    PyObject *wild = PyDict_GetItemWithError(children, Py_None);
    if (wild == NULL && PyErr_Occurred()) {
        return NULL;
    }
    Py_XINCREF(wild);
    PyObject *out = PyList_New(0);
    for (Py_ssize_t i = 0; out != NULL && i < PyList_GET_SIZE(items); i++) {
        PyObject *raw = Py_NewRef(PyList_GET_ITEM(items, i));
        PyObject *sub = array_child(node, children, wild, i), *item = NULL;
        if (sub != NULL) {
            item = conceal_element(w, raw, sub == Py_None ? NULL : sub, depth);
            Py_DECREF(sub);
        }
        Py_DECREF(raw);
        if (item == NULL || PyList_Append(out, item) < 0) {
            Py_CLEAR(out);
        }
        Py_XDECREF(item);
    }
    Py_XDECREF(wild);
    return out;
}

static int compare_salts(const void *a, const void *b)
{
    return memcmp(*(const uint8_t *const *)a, *(const uint8_t *const *)b, SALT_BYTES);
}

static int salts_repeat(Walk *w)
{
    qsort(w->salts, (size_t)w->nsalts, sizeof *w->salts, compare_salts);
    for (Py_ssize_t i = 1; i < w->nsalts; i++) {
        if (memcmp(w->salts[i - 1], w->salts[i], SALT_BYTES) == 0) {
            return 1;
        }
    }
    return 0;
}

PyObject *dj_py_conceal(PyObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 4) {
        PyErr_SetString(PyExc_TypeError, "conceal(claims, tree, rng, decoys)");
        return NULL;
    }
    Py_ssize_t decoys = PyLong_AsSsize_t(args[3]);
    if (decoys == -1 && PyErr_Occurred()) {
        return NULL;
    }
    if (!PyDict_CheckExact(args[0]) || decoys < 0) {
        Py_RETURN_NONE;
    }
    Walk w = {.rng = args[2], .decoys = decoys};
    buf_init(&w.buf);
    w.disclosures = PyList_New(0);
    w.draws = PyList_New(0);
    PyObject *children = NULL, *payload = NULL, *result = NULL;
    if (w.disclosures != NULL && w.draws != NULL) {
        children = tree_children(&w, args[1]);
    }
    if (children != NULL) {
        payload = conceal_object(&w, args[0], children, 0);
    }
    if (payload != NULL) {
        result = salts_repeat(&w) ? fall_back(&w) : PyTuple_Pack(2, payload, w.disclosures);
    }
    if (result == NULL && w.fallback && !PyErr_Occurred()) {
        result = Py_NewRef(Py_None);
    }
    Py_XDECREF(payload);
    Py_XDECREF(children);
    Py_XDECREF(w.disclosures);
    Py_XDECREF(w.draws);
    PyMem_Free(w.salts);
    buf_free(&w.buf);
    return result;
}

/* ---- verification ---- */

PyObject *dj_py_build_disclosures(PyObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 4 || !PyType_Check(args[0]) || !PyType_IsSubtype((PyTypeObject *)args[0], &PyTuple_Type)) {
        PyErr_SetString(PyExc_TypeError, "build_disclosures(cls, parts, digests, items)");
        return NULL;
    }
    PyTypeObject *cls = (PyTypeObject *)args[0];
    PyObject *parts = args[1], *digests = args[2], *items = args[3];
    if (!PyList_CheckExact(parts) || !PyList_CheckExact(digests) || !PyList_CheckExact(items)) {
        Py_RETURN_NONE;
    }
    Py_ssize_t n = PyList_GET_SIZE(parts);
    if (PyList_GET_SIZE(digests) != n || PyList_GET_SIZE(items) != n) {
        Py_RETURN_NONE;
    }
    PyObject *out = PyTuple_New(n);
    for (Py_ssize_t k = 0; out != NULL && k < n; k++) {
        PyObject *item = PyList_GET_ITEM(items, k);
        Py_ssize_t size = PyList_CheckExact(item) ? PyList_GET_SIZE(item) : 0;
        PyObject *salt = size ? PyList_GET_ITEM(item, 0) : NULL;
        PyObject *name = size == 3 ? PyList_GET_ITEM(item, 1) : Py_None;
        if ((size != 2 && size != 3) || !PyUnicode_CheckExact(salt) ||
            (size == 3 && (!PyUnicode_CheckExact(name) || is_reserved(name)))) {
            Py_DECREF(out);
            Py_RETURN_NONE; /* the Python path names what is wrong with this disclosure */
        }
        PyObject *d = cls->tp_alloc(cls, 5);
        if (d == NULL) {
            Py_CLEAR(out);
            break;
        }
        PyTuple_SET_ITEM(d, 0, Py_NewRef(PyList_GET_ITEM(parts, k)));
        PyTuple_SET_ITEM(d, 1, Py_NewRef(PyList_GET_ITEM(digests, k)));
        PyTuple_SET_ITEM(d, 2, Py_NewRef(salt));
        PyTuple_SET_ITEM(d, 3, Py_NewRef(name));
        PyTuple_SET_ITEM(d, 4, Py_NewRef(PyList_GET_ITEM(item, size - 1)));
        PyTuple_SET_ITEM(out, k, d);
    }
    return out;
}

typedef struct {
    PyObject *by_digest; /* digest -> disclosure tuple (encoded, digest, salt, name, value) */
    PyObject *seen;      /* every digest met, decoys included */
    PyObject *top_names; /* names disclosed at the top level */
    Py_ssize_t referenced;
    int fallback;
} Resolve;

static PyObject *unresolved(Resolve *r)
{
    r->fallback = 1;
    return NULL;
}

/* The disclosure a digest names (borrowed), NULL for a decoy; -1 in *rc for an error or fallback. */
static PyObject *take(Resolve *r, PyObject *digest, int *rc)
{
    *rc = -1;
    if (!PyUnicode_CheckExact(digest)) {
        unresolved(r);
        return NULL;
    }
    int seen = PySet_Contains(r->seen, digest);
    if (seen != 0) {
        if (seen == 1) {
            unresolved(r); /* a digest twice: the Python path says where */
        }
        return NULL;
    }
    if (PySet_Add(r->seen, digest) < 0) {
        return NULL;
    }
    PyObject *d = PyDict_GetItemWithError(r->by_digest, digest);
    if (d == NULL && PyErr_Occurred()) {
        return NULL;
    }
    *rc = 0;
    r->referenced += d != NULL;
    return d;
}

static PyObject *resolve_object(Resolve *r, PyObject *obj, int top, int depth);
static PyObject *resolve_array(Resolve *r, PyObject *items, int depth);

static PyObject *resolve_value(Resolve *r, PyObject *v, int depth)
{
    if (depth > MAX_C_DEPTH && (PyDict_CheckExact(v) || PyList_CheckExact(v))) {
        return unresolved(r);
    }
    if (PyDict_CheckExact(v)) {
        return resolve_object(r, v, 0, depth + 1);
    }
    if (PyList_CheckExact(v)) {
        return resolve_array(r, v, depth + 1);
    }
    return Py_NewRef(v);
}

static int resolve_digests(Resolve *r, PyObject *out, PyObject *digests, int top, int depth)
{
    if (!PyList_CheckExact(digests)) {
        unresolved(r);
        return -1;
    }
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(digests); i++) {
        int rc;
        PyObject *d = take(r, PyList_GET_ITEM(digests, i), &rc);
        if (rc < 0) {
            return -1;
        }
        if (d == NULL) {
            continue; /* a decoy, or a claim the holder did not disclose */
        }
        PyObject *name = PyTuple_GET_ITEM(d, 3);
        int present = name == Py_None ? 1 : PyDict_Contains(out, name);
        if (present != 0) {
            if (present == 1) {
                unresolved(r);
            }
            return -1;
        }
        if (top && PySet_Add(r->top_names, name) < 0) {
            return -1;
        }
        PyObject *value = resolve_value(r, PyTuple_GET_ITEM(d, 4), depth);
        rc = value == NULL ? -1 : PyDict_SetItem(out, name, value);
        Py_XDECREF(value);
        if (rc < 0) {
            return -1;
        }
    }
    return 0;
}

static PyObject *resolve_object(Resolve *r, PyObject *obj, int top, int depth)
{
    PyObject *out = PyDict_New(), *key, *v, *digests = NULL;
    Py_ssize_t pos = 0;
    while (out != NULL && PyDict_Next(obj, &pos, &key, &v)) {
        if (!PyUnicode_CheckExact(key)) {
            Py_DECREF(out);
            return unresolved(r);
        }
        if (PyUnicode_Compare(key, S_sd) == 0) {
            digests = v;
            continue;
        }
        if (top && PyUnicode_Compare(key, S_sd_alg) == 0) {
            continue;
        }
        PyObject *value = resolve_value(r, v, depth);
        if (value == NULL || PyDict_SetItem(out, key, value) < 0) {
            Py_CLEAR(out);
        }
        Py_XDECREF(value);
    }
    if (out != NULL && digests != NULL && resolve_digests(r, out, digests, top, depth) < 0) {
        Py_CLEAR(out);
    }
    return out;
}

static PyObject *resolve_element(Resolve *r, PyObject *item, int depth)
{
    PyObject *digest = PyDict_CheckExact(item) ? PyDict_GetItemWithError(item, S_dots) : NULL;
    if (digest == NULL) {
        return PyErr_Occurred() ? NULL : resolve_value(r, item, depth);
    }
    if (PyDict_GET_SIZE(item) != 1) {
        return unresolved(r);
    }
    int rc;
    PyObject *d = take(r, digest, &rc);
    if (rc < 0) {
        return NULL;
    }
    if (d == NULL) {
        return Py_NewRef(Py_Ellipsis); /* marks an undisclosed element: left out */
    }
    if (PyTuple_GET_ITEM(d, 3) != Py_None) {
        return unresolved(r);
    }
    return resolve_value(r, PyTuple_GET_ITEM(d, 4), depth);
}

static PyObject *resolve_array(Resolve *r, PyObject *items, int depth)
{
    PyObject *out = PyList_New(0);
    for (Py_ssize_t i = 0; out != NULL && i < PyList_GET_SIZE(items); i++) {
        PyObject *value = resolve_element(r, PyList_GET_ITEM(items, i), depth);
        if (value == NULL || (value != Py_Ellipsis && PyList_Append(out, value) < 0)) {
            Py_CLEAR(out);
        }
        Py_XDECREF(value);
    }
    return out;
}

PyObject *dj_py_resolve(PyObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 2 || !PyTuple_Check(args[1])) {
        PyErr_SetString(PyExc_TypeError, "resolve(payload: dict, disclosures: tuple)");
        return NULL;
    }
    if (!PyDict_CheckExact(args[0])) {
        Py_RETURN_NONE;
    }
    Resolve r = {.by_digest = PyDict_New(), .seen = PySet_New(NULL), .top_names = PySet_New(NULL)};
    PyObject *claims = NULL, *result = NULL;
    int ok = r.by_digest != NULL && r.seen != NULL && r.top_names != NULL;
    for (Py_ssize_t i = 0; ok && i < PyTuple_GET_SIZE(args[1]); i++) {
        PyObject *d = PyTuple_GET_ITEM(args[1], i);
        if (!PyTuple_Check(d) || PyTuple_GET_SIZE(d) != 5) {
            PyErr_SetString(PyExc_TypeError, "resolve() takes Disclosure tuples");
            ok = 0;
            break;
        }
        int again = PyDict_Contains(r.by_digest, PyTuple_GET_ITEM(d, 1));
        if (again == 1) {
            unresolved(&r); /* the same disclosure twice: the Python path says so */
        }
        ok = again == 0 && PyDict_SetItem(r.by_digest, PyTuple_GET_ITEM(d, 1), d) == 0;
    }
    if (ok) {
        claims = resolve_object(&r, args[0], 1, 0);
    }
    if (claims != NULL) {
        result = Py_BuildValue("(OOn)", claims, r.top_names, r.referenced);
    } else if (r.fallback && !PyErr_Occurred()) {
        result = Py_NewRef(Py_None);
    }
    Py_XDECREF(claims);
    Py_XDECREF(r.by_digest);
    Py_XDECREF(r.seen);
    Py_XDECREF(r.top_names);
    return result;
}
