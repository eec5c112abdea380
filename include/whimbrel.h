/*
 * whimbrel.h - the public API of libwhimbrel.
 *
 * One header for everything a program (the whimbrel command, a migration, a
 * test) may use: error codes, attribute values and items of the DynamoDB type
 * system, their JSON forms, the store API over any target (embedded SQLite or
 * the DynamoDB HTTP API), and the migration API (wb_run_begin, wb_each).
 *
 * Conventions (see docs/api.md):
 *  - Functions return int: 0 (WB_OK) on success, a negative WB_E* code on
 *    failure.  The one-line message of the last failure is available from
 *    wb_error_last() (per thread) and, for store calls, wb_errmsg(db).
 *  - Output parameters come first and are named `out`; what comes back
 *    through `**out` belongs to the caller, who frees it with the matching
 *    *_free function (wb_string_free for strings).  Every *_free(NULL) is a
 *    harmless no-op.
 *  - A `const char *` or `const` object returned by a function is borrowed:
 *    each declaration says how long it stays valid.  Never free it.
 *  - `const char *` strings are NUL-terminated UTF-8 unless a length is given.
 *  - Only what this header declares is exported from libwhimbrel.so
 *    (SONAME libwhimbrel.so.0); see docs/api.md, "Changes in 0.2".
 */
#ifndef WHIMBREL_H
#define WHIMBREL_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Every public declaration is exported from the shared library; the library
 * is built with -fvisibility=hidden, so nothing else is.
 */
#if defined(__GNUC__) || defined(__clang__)
#define WB_EXTERN __attribute__((visibility("default")))
#else
#define WB_EXTERN
#endif

/*
 * The version this header belongs to (compile time); wb_version() says which
 * library is running.
 */
#define WB_VERSION_STRING "0.2.0"
#define WB_VERSION_MAJOR 0
#define WB_VERSION_MINOR 2
#define WB_VERSION_PATCH 0
/** MAJOR * 10000 + MINOR * 100 + PATCH, as wb_version_number() returns it. */
#define WB_VERSION_NUMBER (WB_VERSION_MAJOR * 10000 + WB_VERSION_MINOR * 100 + WB_VERSION_PATCH)

/** The running library's version, e.g. "0.2.0" (static; never NULL). */
WB_EXTERN const char *wb_version(void);
/** The running library's WB_VERSION_NUMBER, to compare with the header's. */
WB_EXTERN int wb_version_number(void);

/**
 * The versions whimbrel runs with, as the libraries themselves report them
 * at run time (for bug reports: `whimbrel version`).  Static strings, never
 * NULL.  New fields come with a new WB_VERSION_INFO_VERSION.
 */
typedef struct wb_version_info {
	unsigned version;       /**< WB_VERSION_INFO_VERSION, set by WB_VERSION_INFO_INIT */
	const char *whimbrel;   /**< wb_version() */
	const char *sqlite;     /**< SQLite, the embedded target: "3.40.1" */
	const char *curl;       /**< libcurl, the DynamoDB HTTP client: "7.88.1" */
	const char *curl_ssl;   /**< the TLS library of libcurl, as it names it ("OpenSSL/3.0.19"), or "" */
	const char *openssl;    /**< OpenSSL's libcrypto (request signing): "3.0.19" */
	const char *jansson;    /**< Jansson, the JSON parser: "2.14" */
} wb_version_info;

#define WB_VERSION_INFO_VERSION 1
#define WB_VERSION_INFO_INIT {WB_VERSION_INFO_VERSION, NULL, NULL, NULL, NULL, NULL, NULL}

/** Fill *out (initialised with WB_VERSION_INFO_INIT); WB_EINVALID for another version. */
WB_EXTERN int wb_version_info_get(wb_version_info *out);

/**
 * Free a string the library returned as the caller's (wb_item_to_json's
 * text).  NULL is a no-op.
 */
WB_EXTERN void wb_string_free(char *s);

/* ---------------------------------------------------------------- errors */

/** Result codes.  0 is success; every failure is negative. */
enum wb_error_code {
	WB_OK = 0,
	WB_ERROR = -1,        /**< any failure without a more specific code */
	WB_ENOTFOUND = -2,    /**< table or item does not exist */
	WB_EEXISTS = -3,      /**< table already exists */
	WB_ECONDITION = -4,   /**< a write's condition was not met */
	WB_EBUSY = -5,        /**< locked by another process or run */
	WB_ETHROTTLED = -6,   /**< the service throttled us past the retry budget */
	WB_EINVALID = -7,     /**< invalid input: bad item, name, JSON, argument */
	WB_ENOMEM = -8,       /**< out of memory */
	WB_EIO = -9,          /**< I/O, network or storage failure */
	WB_EINTERRUPTED = -10 /**< stopped by a signal (Ctrl-C) */
};

/** A human-readable name for a result code ("not found"); static, never freed. */
WB_EXTERN const char *wb_strerror(int code);

/**
 * The message of the last failure on this thread, one line saying what and
 * where.  Valid until the next whimbrel call on this thread.  Never NULL.
 */
WB_EXTERN const char *wb_error_last(void);

/** The code of the last failure on this thread (WB_OK if none). */
WB_EXTERN int wb_error_last_code(void);

/** Clear this thread's last error. */
WB_EXTERN void wb_error_clear(void);

/* ---------------------------------------------------------------- values */

/** The DynamoDB attribute types. */
typedef enum wb_type {
	WB_S = 0,   /**< string (UTF-8) */
	WB_N,       /**< number: exact decimal text, at most 38 significant digits */
	WB_B,       /**< binary */
	WB_BOOL,    /**< boolean */
	WB_NULL,    /**< null */
	WB_L,       /**< list of values */
	WB_M,       /**< map: an item nested as a value */
	WB_SS,      /**< string set */
	WB_NS,      /**< number set */
	WB_BS       /**< binary set */
} wb_type;

/** "S", "N", "B", "BOOL", "NULL", "L", "M", "SS", "NS" or "BS" (static). */
WB_EXTERN const char *wb_type_name(wb_type type);

/** Parse a type name as above; returns WB_EINVALID for anything else. */
WB_EXTERN int wb_type_parse(wb_type *out, const char *name);

/** An attribute value.  Opaque. */
typedef struct wb_value wb_value;

/** An item: an ordered map of attribute names to values.  Opaque. */
typedef struct wb_item wb_item;

/*
 * Value constructors.  Each returns a new value the caller owns (free with
 * wb_value_free, or hand it to a function documented as taking ownership),
 * or NULL when out of memory.  The bytes are copied.  Nothing is validated
 * here: wb_item_validate does that, so that bad input can be reported with
 * where it came from.
 */
WB_EXTERN wb_value *wb_value_string(const char *s, size_t len);
WB_EXTERN wb_value *wb_value_number(const char *decimal);
WB_EXTERN wb_value *wb_value_binary(const void *data, size_t len);
WB_EXTERN wb_value *wb_value_bool(int b);
WB_EXTERN wb_value *wb_value_null(void);
WB_EXTERN wb_value *wb_value_list(void);                  /**< empty list */
WB_EXTERN wb_value *wb_value_map(wb_item *takes_map);     /**< takes ownership of the item; NULL = empty map */
WB_EXTERN wb_value *wb_value_set(wb_type set_type);       /**< empty SS, NS or BS */

/** Append to a list; takes ownership of `child`. */
WB_EXTERN int wb_value_list_append(wb_value *list, wb_value *child);

/** Add a member to a set (string/number text or binary bytes, copied). */
WB_EXTERN int wb_value_set_add(wb_value *set, const void *data, size_t len);

/** A deep copy, or NULL when out of memory. */
WB_EXTERN wb_value *wb_value_dup(const wb_value *v);
WB_EXTERN void wb_value_free(wb_value *v);

/** Deep equality: same type and same content (sets compare as sets). */
WB_EXTERN int wb_value_equal(const wb_value *a, const wb_value *b);

/*
 * Value accessors.  Pointers returned (bytes, members, elements, the nested
 * item) are the value's: valid until the value is freed or changed, and for
 * a value inside an item, until that item is freed or changed.  Calling an
 * accessor of the wrong type returns NULL / 0.
 */
WB_EXTERN wb_type wb_value_type(const wb_value *v);
/** S, N (decimal text), B: the bytes and their length; NUL-terminated for S and N. */
WB_EXTERN const char *wb_value_bytes(const wb_value *v, size_t *len);
WB_EXTERN int wb_value_get_bool(const wb_value *v);
/** L, SS, NS, BS: number of elements. */
WB_EXTERN size_t wb_value_count(const wb_value *v);
/** L: the i-th element. */
WB_EXTERN const wb_value *wb_value_list_at(const wb_value *v, size_t i);
/** SS, NS, BS: the i-th member's bytes. */
WB_EXTERN const char *wb_value_set_at(const wb_value *v, size_t i, size_t *len);
/** M: the nested item. */
WB_EXTERN const wb_item *wb_value_get_map(const wb_value *v);

/* ----------------------------------------------------------------- items */

/** A new empty item, or NULL when out of memory.  Free with wb_item_free. */
WB_EXTERN wb_item *wb_item_new(void);
WB_EXTERN void wb_item_free(wb_item *item);
/** A deep copy, or NULL when out of memory. */
WB_EXTERN wb_item *wb_item_dup(const wb_item *item);
/** Deep equality, attribute order ignored. */
WB_EXTERN int wb_item_equal(const wb_item *a, const wb_item *b);

/**
 * Number of attributes; the i-th name and value (insertion order), NULL when
 * i is out of range.  Both are the item's: valid until the item is freed or
 * changed (any wb_item_set* or wb_item_remove on it).
 */
WB_EXTERN size_t wb_item_count(const wb_item *item);
WB_EXTERN const char *wb_item_name_at(const wb_item *item, size_t i);
WB_EXTERN const wb_value *wb_item_value_at(const wb_item *item, size_t i);

/** The value of an attribute, or NULL if absent (the item's, as above). */
WB_EXTERN const wb_value *wb_item_get(const wb_item *item, const char *name);
WB_EXTERN int wb_item_has(const wb_item *item, const char *name);

/** Set (replace or add) an attribute; takes ownership of `v` even on failure. */
WB_EXTERN int wb_item_set(wb_item *item, const char *name, wb_value *v);
/* Convenience setters; the text or bytes are copied. */
WB_EXTERN int wb_item_set_string(wb_item *item, const char *name, const char *s);
WB_EXTERN int wb_item_set_number(wb_item *item, const char *name, const char *decimal);
WB_EXTERN int wb_item_set_int(wb_item *item, const char *name, int64_t n);
WB_EXTERN int wb_item_set_binary(wb_item *item, const char *name, const void *data, size_t len);
WB_EXTERN int wb_item_set_bool(wb_item *item, const char *name, int b);
WB_EXTERN int wb_item_set_null(wb_item *item, const char *name);
/** Remove an attribute; WB_ENOTFOUND if it was not there. */
WB_EXTERN int wb_item_remove(wb_item *item, const char *name);

/* Convenience getters: NULL / the default when absent or of another type;
 * the text is the item's (valid as wb_item_get's value). */
WB_EXTERN const char *wb_item_get_string(const wb_item *item, const char *name);
WB_EXTERN const char *wb_item_get_number(const wb_item *item, const char *name);
WB_EXTERN int64_t wb_item_get_int(const wb_item *item, const char *name, int64_t dflt);

/** Size in bytes as DynamoDB counts it (names + values). */
WB_EXTERN size_t wb_item_size(const wb_item *item);

/** DynamoDB's limits. */
#define WB_ITEM_MAX_SIZE (400 * 1024)
#define WB_NUMBER_MAX_DIGITS 38
#define WB_NAME_MAX 255

/* -------------------------------------------------------- document paths */

/*
 * A document path names a value nested in an item, as DynamoDB's
 * expressions do: attribute names joined by `.`, list indexes in brackets,
 * e.g. `state.sorts_risk_level_normalized` or `history[2].status`.  In a
 * name, a backslash makes the next character an ordinary one: `a\.b` is the
 * single attribute "a.b" (likewise `\[`, `\]`, `\\`; in a C literal,
 * "a\\.b").  The *_pathv forms take the components as an array instead,
 * with no escaping.  A path has 1 to WB_PATH_MAX_DEPTH components and starts
 * with a name.
 *
 * Failures name the path and the part of it that failed, in one line in
 * wb_error_last(): WB_ENOTFOUND when a name is not in its map or an index
 * is past the end of its list ("path 'history[5].status': 'history[5]' is
 * out of range (the list has 3 elements)"); WB_EINVALID when a value on the
 * way is not of the type the next component needs ("'state' is S, not a
 * map") or the path is malformed.  See docs/api.md.
 */

/** One component of a path: a map key (attribute name) or a list index. */
typedef struct wb_path_elem {
	const char *name;  /**< the name, taken as it is; NULL for a list index */
	size_t index;      /**< the list index, when name is NULL */
} wb_path_elem;

#define WB_PATH_NAME(n) {(n), 0}        /**< a wb_path_elem naming a map key */
#define WB_PATH_INDEX(i) {NULL, (i)}    /**< a wb_path_elem indexing a list */
#define WB_PATH_MAX_DEPTH 32            /**< DynamoDB's limit */

/**
 * The value at `path`, or NULL when there is none; wb_error_last_code()
 * then says why (WB_ENOTFOUND, or WB_EINVALID for a type that does not
 * match or a malformed path).  Valid while the item is alive and unchanged.
 */
WB_EXTERN const wb_value *wb_item_get_path(const wb_item *item, const char *path);

/**
 * Set the value at `path`; takes ownership of `v` even on failure.  Every
 * component but the last must exist (make a missing map first, with
 * wb_value_map(NULL)).  A last name is added to its map or replaced there;
 * a last index below the list's count replaces that element, and one at or
 * past the end appends to the list (as DynamoDB's SET does).
 */
WB_EXTERN int wb_item_set_path(wb_item *item, const char *path, wb_value *v);

/**
 * Remove the value at `path`; WB_ENOTFOUND if it was not there (nor a
 * component on the way), as wb_item_remove.  Removing a list element moves
 * the later ones down by one.
 */
WB_EXTERN int wb_item_remove_path(wb_item *item, const char *path);

/** The same three taking the `n` components of the path. */
WB_EXTERN const wb_value *wb_item_get_pathv(const wb_item *item, const wb_path_elem *path, size_t n);
WB_EXTERN int wb_item_set_pathv(wb_item *item, const wb_path_elem *path, size_t n, wb_value *v);
WB_EXTERN int wb_item_remove_pathv(wb_item *item, const wb_path_elem *path, size_t n);

/* ------------------------------------------------------------------ keys */

/** A table's key schema.  sk_name[0] == '\0' when the table has no sort key. */
typedef struct wb_key_schema {
	char pk_name[WB_NAME_MAX + 1]; /**< partition key attribute */
	wb_type pk_type;               /**< WB_S, WB_N or WB_B */
	char sk_name[WB_NAME_MAX + 1]; /**< sort key attribute, or "" */
	wb_type sk_type;               /**< WB_S, WB_N or WB_B when sk_name is set */
} wb_key_schema;

/**
 * Check an item: every value well formed (numbers of at most 38 significant
 * digits within DynamoDB's range, non-empty sets without duplicates, valid
 * UTF-8, non-empty names), at most 400 KB, and, when `key` is not NULL, the
 * key attributes present, of their declared type and non-empty.  On failure
 * returns WB_EINVALID with a one-line message naming the attribute.
 */
WB_EXTERN int wb_item_validate(const wb_item *item, const wb_key_schema *key);

/** Check a single number's text (used by the JSON reader and the CLI). */
WB_EXTERN int wb_number_validate(const char *decimal);

/**
 * A new item holding only the key attributes of `item` (per `key`), or NULL
 * (with the error set) when one is missing.
 */
WB_EXTERN wb_item *wb_item_key(const wb_item *item, const wb_key_schema *key);

/* ------------------------------------------------------------------ JSON */

/** JSON forms. */
typedef enum wb_json_format {
	WB_JSON_DDB = 0,   /**< DynamoDB JSON: {"price":{"N":"12"}} (lossless) */
	WB_JSON_PLAIN = 1, /**< plain JSON: {"price":12} (types inferred) */
	WB_JSON_AUTO = 2   /**< reading only: DynamoDB JSON if every attribute
	                        is a one-key type object, plain JSON otherwise */
} wb_json_format;

/**
 * Parse one JSON object into a new item (`*out`, caller frees).  Errors
 * return WB_EINVALID with a message giving the position or attribute.
 */
WB_EXTERN int wb_item_from_json(wb_item **out, const char *text, size_t len, wb_json_format format);

/**
 * Serialise an item to a compact one-line JSON string (`*out`, caller frees
 * with wb_string_free; NULL on failure).  Plain JSON of B/BS values is base64
 * text; of sets, arrays.  WB_JSON_AUTO is not a writing format (WB_EINVALID).
 */
WB_EXTERN int wb_item_to_json(char **out, const wb_item *item, wb_json_format format);

/* ---------------------------------------------------------------- stores */

/** A connection to a target.  Opaque; see wb_open. */
typedef struct wb_db wb_db;

/**
 * Open a target by URL: "sqlite:PATH", "dynamodb://HOST:PORT",
 * "dynamodbs://HOST[:PORT]" or "dynamodb:REGION".  `*out` is the caller's,
 * closed with wb_close.  A handle may be used from several threads; for
 * parallel work each thread should open its own.
 */
WB_EXTERN int wb_open(wb_db **out, const char *url);
/** Close a handle; NULL is a no-op. */
WB_EXTERN void wb_close(wb_db *db);
/**
 * The last error message on this handle (one line; never NULL; with db NULL,
 * wb_error_last()).  Safe while other threads use the handle: the message is
 * copied, under the handle's lock, into a buffer of the calling thread, valid
 * until this thread's next wb_errmsg call.
 */
WB_EXTERN const char *wb_errmsg(wb_db *db);
/**
 * The URL the handle was opened with (credentials never appear in it);
 * valid until wb_close(db).  "" when db is NULL.
 */
WB_EXTERN const char *wb_db_url(wb_db *db);

/** Check a table name as DynamoDB does: [A-Za-z0-9_.-]{3,255}. */
WB_EXTERN int wb_table_name_validate(const char *name);

/** A table's description. */
typedef struct wb_table_desc {
	char name[WB_NAME_MAX + 1]; /**< table name */
	wb_key_schema key;          /**< its key schema */
	int64_t item_count;         /**< number of items, or -1 when unknown */
} wb_table_desc;

WB_EXTERN int wb_table_create(wb_db *db, const char *name, const wb_key_schema *key);
WB_EXTERN int wb_table_describe(wb_table_desc *out, wb_db *db, const char *name);
/** All table names, sorted; `*out` is a NULL-terminated array freed with wb_strings_free. */
WB_EXTERN int wb_table_list(char ***out, size_t *count, wb_db *db);
WB_EXTERN int wb_table_drop(wb_db *db, const char *name);
WB_EXTERN void wb_strings_free(char **strings);

/* ------------------------------------------------------ secondary indexes */

/** What a secondary index holds of each item besides the keys. */
typedef enum wb_projection {
	WB_PROJECT_ALL = 0,     /**< every attribute */
	WB_PROJECT_KEYS = 1,    /**< only the table's and the index's key attributes */
	WB_PROJECT_INCLUDE = 2  /**< the key attributes and those named in `attrs` */
} wb_projection;

/**
 * A secondary index of a table.  Items lacking one of its key attributes are
 * not in it; an item whose index key attribute has another type than the
 * index declares (or is empty) cannot be written.  Reading an index
 * (wb_query.index, wb_scan.index) returns the projected attributes, and a
 * page's last_key then holds the table's and the index's key attributes.
 */
typedef struct wb_index {
	char name[WB_NAME_MAX + 1]; /**< index name, [A-Za-z0-9_.-]{3,255}, unique in its table */
	int local;                  /**< 0 global; 1 local: the table's partition key and another
	                                 sort key (the table needs a sort key) */
	wb_key_schema key;          /**< the index's keys (sk_name "" when it has no sort key) */
	wb_projection projection;   /**< what it holds */
	const char *const *attrs;   /**< WB_PROJECT_INCLUDE: the other attributes it holds */
	size_t nattrs;              /**< how many */
} wb_index;

/** Options of wb_table_create_opts; initialise with WB_TABLE_OPTIONS_INIT. */
#define WB_TABLE_OPTIONS_VERSION 1
typedef struct wb_table_options {
	unsigned int version;       /**< WB_TABLE_OPTIONS_VERSION */
	const wb_index *indexes;    /**< secondary indexes to create with the table */
	size_t nindexes;            /**< how many (at most 20 global and 5 local) */
} wb_table_options;

#define WB_TABLE_OPTIONS_INIT {WB_TABLE_OPTIONS_VERSION, NULL, 0}

/**
 * wb_table_create with options (`opts` may be NULL: the same as
 * wb_table_create).  The definitions are checked first (WB_EINVALID with a
 * one-line message naming the index); a backend without secondary indexes
 * refuses any.  The options are read during the call only.
 */
WB_EXTERN int wb_table_create_opts(wb_db *db, const char *name, const wb_key_schema *key,
				   const wb_table_options *opts);

/**
 * The secondary indexes of a table (also of a DynamoDB table created by
 * other tools), sorted by name: `*out` is an array of `*count` entries,
 * the caller's, freed with wb_indexes_free (NULL when there are none).
 */
WB_EXTERN int wb_table_indexes(wb_index **out, size_t *count, wb_db *db, const char *table);
/** Free what wb_table_indexes returned; NULL is a no-op. */
WB_EXTERN void wb_indexes_free(wb_index *indexes, size_t count);

/** Conditions on single-item writes. */
typedef enum wb_cond_kind {
	WB_COND_NONE = 0,       /**< unconditional */
	WB_COND_NOT_EXISTS,     /**< the item must not exist */
	WB_COND_EXISTS,         /**< the item must exist */
	WB_COND_ATTR_EQUALS,    /**< attribute `attr` must equal `value` */
	WB_COND_ITEM_EQUALS     /**< the stored item must equal `expect` exactly
	                             (optimistic concurrency for migrations) */
} wb_cond_kind;

typedef struct wb_cond {
	wb_cond_kind kind;       /**< what to check */
	const char *attr;        /**< WB_COND_ATTR_EQUALS: the attribute */
	const wb_value *value;   /**< WB_COND_ATTR_EQUALS: the value */
	const wb_item *expect;   /**< WB_COND_ITEM_EQUALS: the expected item */
} wb_cond;

/** Get an item by key (only the key attributes of `key` are used). WB_ENOTFOUND if absent. */
WB_EXTERN int wb_get(wb_item **out, wb_db *db, const char *table, const wb_item *key);
/** Put (insert or replace) an item, validated against the table's key schema. */
WB_EXTERN int wb_put(wb_db *db, const char *table, const wb_item *item, const wb_cond *cond);
/** Delete an item by key; deleting an absent item is not an error unless conditional. */
WB_EXTERN int wb_delete(wb_db *db, const char *table, const wb_item *key, const wb_cond *cond);
/**
 * Update an item in place: set every attribute of `set` (may be NULL) and
 * remove the `nremove` names of `remove`; creates the item if absent (as
 * DynamoDB's UpdateItem does) unless `cond` says otherwise.  Key attributes
 * cannot be set or removed.
 */
WB_EXTERN int wb_update(wb_db *db, const char *table, const wb_item *key, const wb_item *set,
	      const char *const *remove, size_t nremove, const wb_cond *cond);

/** One write of a batch. */
typedef enum wb_write_kind { WB_WRITE_PUT = 0, WB_WRITE_DELETE = 1 } wb_write_kind;

typedef struct wb_write {
	const char *table;    /**< table written */
	wb_write_kind kind;   /**< put or delete */
	const wb_item *item;  /**< the item (put) or its key (delete) */
	const wb_cond *cond;  /**< optional condition (NULL = none) */
} wb_write;

/**
 * Apply a batch of writes, possibly to several tables.  On SQLite the batch is
 * one transaction: all or nothing (a failed condition fails the whole batch
 * with WB_ECONDITION and `*failed_index`, when not NULL, says which write).
 * On DynamoDB the batch is not atomic, and several writes may fail: writes
 * to distinct keys are sent together, many in flight at once (the
 * concurrency, docs/dynamodb.md), unconditional ones by BatchWriteItem of
 * 25, conditional ones one request each; `*failed_index` is the first that
 * failed, and writes after it may have been applied too.  Use
 * wb_batch_write_each to learn the fate of every write.
 */
WB_EXTERN int wb_batch_write(wb_db *db, const wb_write *writes, size_t n, size_t *failed_index);

/** results[i] of wb_batch_write_each: write i was not applied (not sent, or rolled back with the batch). */
#define WB_WRITE_NOT_SENT 1

/**
 * wb_batch_write that tells what became of every write: results[i] (n of
 * them, the caller's) is 0 when write i was applied, WB_WRITE_NOT_SENT when
 * it was not, or the negative code with which it failed (WB_ECONDITION: its
 * condition did not hold, nothing written; after WB_EIO or WB_ETHROTTLED,
 * when the store gave up retrying, it may or may not have been applied).
 * Returns 0 when every write was applied, else the code of the first that
 * failed, with its message (and how many failed) in wb_errmsg(db).
 *
 * Where the batch is one transaction (SQLite) a failure leaves every other
 * write WB_WRITE_NOT_SENT.  Where it is not (DynamoDB), the writes before
 * and beside a failed one may be applied: the caller retries only the
 * failed (and unsent) ones.  Writes of one key keep their order.
 */
WB_EXTERN int wb_batch_write_each(wb_db *db, const wb_write *writes, size_t n, int *results);

/** A page of results.  Free with wb_page_free. */
typedef struct wb_page {
	wb_item **items;    /**< the items of this page */
	size_t count;       /**< how many */
	wb_item *last_key;  /**< key of the last item when more may follow, else NULL */
} wb_page;

WB_EXTERN void wb_page_free(wb_page *page);

/** Sort-key conditions of a query. */
typedef enum wb_sk_op {
	WB_SK_NONE = 0,   /**< every item of the partition */
	WB_SK_EQ,         /**< sk = a */
	WB_SK_LT,         /**< sk < a */
	WB_SK_LE,         /**< sk <= a */
	WB_SK_GT,         /**< sk > a */
	WB_SK_GE,         /**< sk >= a */
	WB_SK_BEGINS_WITH,/**< sk begins with a (S and B only) */
	WB_SK_BETWEEN     /**< a <= sk <= b */
} wb_sk_op;

typedef struct wb_query {
	const wb_value *pk;         /**< partition key value (required) */
	wb_sk_op sk_op;             /**< sort key condition */
	const wb_value *sk_a;       /**< first operand */
	const wb_value *sk_b;       /**< second operand (between) */
	int descending;             /**< 1 = sort key descending */
	size_t limit;               /**< at most this many items per page (0 = backend default) */
	const wb_item *start_after; /**< paging cursor: a page's last_key, or NULL */
	const char *index;          /**< query this secondary index (pk and the sort key
	                                 condition are then the index's), or NULL: the table */
} wb_query;

#define WB_QUERY_INIT {NULL, WB_SK_NONE, NULL, NULL, 0, 0, NULL, NULL}

/** One page of a query; continue with start_after = page->last_key. */
WB_EXTERN int wb_query_page(wb_page **out, wb_db *db, const char *table, const wb_query *q);

typedef struct wb_scan {
	unsigned segment;           /**< this segment, 0..total_segments-1 */
	unsigned total_segments;    /**< number of segments (0 or 1 = whole table) */
	const char *pk_prefix;      /**< only partition keys beginning with this (S keys), or NULL */
	size_t limit;               /**< at most this many items per page (0 = backend default) */
	const wb_item *start_after; /**< paging cursor: a page's last_key, or NULL */
	const char *index;          /**< scan this secondary index (pk_prefix is then on the
	                                 index's partition key), or NULL: the table */
} wb_scan;

#define WB_SCAN_INIT {0, 1, NULL, 0, NULL, NULL}

/**
 * One page of a scan.  The segments of one total_segments are disjoint and
 * together hold every item exactly once.
 */
WB_EXTERN int wb_scan_page(wb_page **out, wb_db *db, const char *table, const wb_scan *s);

/**
 * A visitor of wb_scan_all / wb_query_all.  The item is the iterator's and
 * valid only during the call.  Return 0 to go on; anything else stops the
 * iteration, which then returns that value.
 */
typedef int (*wb_visit_fn)(const wb_item *item, void *arg);

/**
 * Every item of a scan (`s` may be NULL: the whole table), page by page,
 * through `fn`; `s->start_after` is where to begin.  Returns 0 when all were
 * visited, the first non-zero value `fn` returned, or a store error.
 */
WB_EXTERN int wb_scan_all(wb_db *db, const char *table, const wb_scan *s, wb_visit_fn fn, void *arg);

/** The same for every item of a query. */
WB_EXTERN int wb_query_all(wb_db *db, const char *table, const wb_query *q, wb_visit_fn fn, void *arg);

/* ------------------------------------------------------------ bulk load */

/**
 * A bulk load: many puts into one table, written together at the end (what
 * `whimbrel import` uses; also for copying or restoring a whole table).
 * Items are checked as they are added (as wb_put checks them) and set
 * aside -- beyond a fixed memory budget in temporary files, in $TMPDIR or
 * else /tmp -- and nothing is written before wb_load_commit.  On SQLite the
 * commit is one transaction that writes the items in the order of the
 * table's layout: all or nothing, and far faster than batches of puts.
 * Elsewhere it writes them with wb_batch_write in batches: a failure leaves
 * the batches before it written.  Of items with the same key the one added
 * last is written.  Opaque.
 */
typedef struct wb_load wb_load;

/** Progress of a commit: items written so far; a non-zero return stops it (WB_EINTERRUPTED). */
typedef int (*wb_load_fn)(uint64_t written, void *arg);

/**
 * Begin a load into `table`, whose key schema is `key` (the table may be
 * created after this, before the commit; the commit fails when the table's
 * key is another).  *out is the caller's: end it with wb_load_free.
 */
WB_EXTERN int wb_load_begin(wb_load **out, wb_db *db, const char *table, const wb_key_schema *key);

/** Add an item (copied).  WB_EINVALID for an item that is not valid for the table's key. */
WB_EXTERN int wb_load_add(wb_load *load, const wb_item *item);

/**
 * Write every item added, once; *written (when not NULL) gets how many
 * were written (on SQLite 0 after a failure: nothing was).  `progress`
 * (may be NULL) is called now and then during the writing.
 */
WB_EXTERN int wb_load_commit(wb_load *load, uint64_t *written, wb_load_fn progress, void *arg);

/** 1 when the commit writes everything or nothing (the embedded store), 0 when it writes batch by batch. */
WB_EXTERN int wb_load_atomic(const wb_load *load);

/** Free a load (NULL is fine); a load not committed writes nothing. */
WB_EXTERN void wb_load_free(wb_load *load);

/* ------------------------------------------------------------ migrations */

/** What a per-item callback returns. */
enum wb_verdict {
	WB_KEEP = 0,    /**< leave the item as it is */
	WB_WRITE = 1,   /**< write the (changed) item back */
	WB_DELETE = 2   /**< delete the item */
	/* a negative value stops the run with that error code */
};

/** A migration run.  Opaque; see wb_run_begin. */
typedef struct wb_run wb_run;

/**
 * Start the run this process was launched for by `whimbrel run` or
 * `whimbrel plan` (target, mode and run id come from the runner).  Run
 * outside the runner, prints a one-line message saying how to run the
 * migration and exits with status 2.  Never returns NULL.
 */
WB_EXTERN wb_run *wb_run_begin(void);

/**
 * Finish the run: report counters to the runner, release resources and
 * return the process exit status for `main` to return (0 when rc == 0,
 * 130 for WB_EINTERRUPTED, 1 otherwise).  The runner records a run as
 * succeeded only when wb_run_end reported rc == 0 and the program then
 * exited with status 0: a program that exits without calling it (exit()
 * from a callback, a main that skips it) has failed, and keeps its
 * checkpoints so the next run resumes.
 */
WB_EXTERN int wb_run_end(wb_run *run, int rc);

/**
 * The run's store handle (writes are intercepted under `plan`); the run's,
 * closed by wb_run_end(run): do not wb_close it.
 */
WB_EXTERN wb_db *wb_run_db(wb_run *run);
/** "dev", "prod" or "plan"; valid until wb_run_end(run). */
WB_EXTERN const char *wb_run_mode(wb_run *run);
/** The run id (a ULID-like sortable string); valid until wb_run_end(run). */
WB_EXTERN const char *wb_run_id(wb_run *run);

/** The per-item callback: change `item` in place and return a wb_verdict. */
typedef int (*wb_item_fn)(wb_item *item, void *arg);

/**
 * For every item of `table` (whose partition key begins with `pk_prefix`
 * when it is not NULL), call `fn`, and write or delete the item as it says.
 * Parallel over threads, batched, checkpointed and resumable: see
 * docs/migrations.md.  `fn` may be called from several threads at once.
 */
WB_EXTERN int wb_each(wb_run *run, const char *table, const char *pk_prefix, wb_item_fn fn, void *arg);

/** The same over the items of one query (run on one thread). */
WB_EXTERN int wb_each_query(wb_run *run, const char *table, const wb_query *q, wb_item_fn fn, void *arg);

/** Log a line into the run's log (printf format; a newline is added). */
WB_EXTERN void wb_log_info(wb_run *run, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
WB_EXTERN void wb_log_warn(wb_run *run, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
WB_EXTERN void wb_log_error(wb_run *run, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#ifdef __cplusplus
}
#endif

#endif /* WHIMBREL_H */
