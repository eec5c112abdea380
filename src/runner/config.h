/*
 * config.h - the INI reader of whimbrel.conf (internal API).
 *
 * whimbrel.conf names the targets of a repository:
 *
 *     # comment            ; comment too
 *     [dev]
 *     db = sqlite:.whimbrel/dev.db
 *     [prod]
 *     db = dynamodb:us-east-1
 *     confirm = yes
 *
 * Sections and keys are [A-Za-z0-9_.-]+ and case-sensitive; whitespace
 * around names and values is trimmed; a value may be "double-quoted" to keep
 * a '#' or ';' or surrounding spaces; otherwise a '#' or ';' after
 * whitespace starts a comment.  A key outside a section, a line that is
 * neither a section nor `key = value`, and a key given twice in a section
 * are errors whose one-line message is "FILE:LINE: what".  Used by the
 * command (targets), the runner and the workers.  Implemented in config.c.
 */
#ifndef WB_CONFIG_H
#define WB_CONFIG_H

#include <stddef.h>

/** A parsed configuration.  Free with wb__config_free. */
typedef struct wb__config wb__config;

/**
 * Parse `len` bytes of INI text; `name` (e.g. "whimbrel.conf") prefixes
 * error messages.  `*out` is the caller's.  WB_EINVALID on a malformed line.
 */
int wb__config_parse(wb__config **out, const char *text, size_t len, const char *name);

/**
 * Read and parse a file.  When it does not exist, returns WB_ENOTFOUND with
 * *out = NULL (callers may treat that as an empty configuration: every
 * wb__config_* accessor accepts NULL).
 */
int wb__config_load(wb__config **out, const char *path);

/**
 * WB_EINVALID "FILE:LINE: unknown key 'K' in [S] (known keys: ...)" for
 * the first key not in `known` (NULL-terminated), else 0.
 */
int wb__config_check_keys(const wb__config *cf, const char *const *known);

/** The value of `key` in `[section]`, or NULL.  Valid until wb__config_free. */
const char *wb__config_get(const wb__config *cf, const char *section, const char *key);

/** The 1-based line where `key` of `[section]` was set (0 if not set). */
int wb__config_line(const wb__config *cf, const char *section, const char *key);

/** Whether `[section]` appears in the file (even empty). */
int wb__config_has_section(const wb__config *cf, const char *section);

/** The file name given at parse/load time ("" for NULL). */
const char *wb__config_name(const wb__config *cf);

/**
 * A boolean value: yes/no, true/false, on/off, 1/0 (any case).  Returns 0
 * and sets *out, or WB_EINVALID for anything else.
 */
int wb__config_bool(int *out, const char *value);

void wb__config_free(wb__config *cf);

/**
 * A number of days set by `key =` in the [name] section of the target
 * configuration (target.c; journal_days, snapshot_days), else `dflt`.
 * WB_EINVALID, naming the line, for a value that is not 1 or more (*out
 * is dflt then).
 */
struct wb_target_options;
int wb__target_days(int *out, const struct wb_target_options *o, const char *name, const char *key, int dflt);

#endif /* WB_CONFIG_H */
