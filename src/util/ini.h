/*
 * ini.h - the INI line reader shared by whimbrel.conf (config.c) and the
 * AWS shared credentials file (aws_creds.c) (internal API; ini.c).
 *
 * wb__ini_parse cuts text into lines (a UTF-8 byte order mark skipped),
 * trims blanks, skips empty lines and whole-line comments ('#' or ';'), and
 * hands every other line to a callback with its 1-based number, already
 * split: a line opening with '[' is a section header (its name trimmed,
 * when the line ends with ']'), a line with an '=' a key and its value
 * (both trimmed, the value raw: quotes and inline comments are the
 * caller's rules), anything else a line of neither kind.  What is an error
 * is the caller's: it says so with a "FILE:LINE: what" message and a
 * negative code, which stops the parse.
 */
#ifndef WB_INI_H
#define WB_INI_H

#include <stddef.h>

enum wb__ini_kind {
	WB_INI_SECTION, /**< "[name]"; name is NULL when the line does not end with ']' */
	WB_INI_PAIR,    /**< "key = value" */
	WB_INI_OTHER    /**< neither */
};

/** One line of INI text; pointers into the parsed text. */
struct wb__ini_line {
	enum wb__ini_kind kind;
	int line;          /**< 1-based line number */
	const char *text;  /**< the whole line, trimmed (not NUL-terminated) */
	size_t len;
	const char *name;  /**< section name or key, trimmed */
	size_t nlen;
	const char *value; /**< value of a pair, trimmed */
	size_t vlen;
};

/** Called for each line; a negative return stops the parse and is returned. */
typedef int (*wb__ini_fn)(void *arg, const struct wb__ini_line *l);

/** Parse len bytes of text line by line; 0, or the first negative callback return. */
int wb__ini_parse(const char *text, size_t len, wb__ini_fn fn, void *arg);

/**
 * Read a whole file of at most `max` bytes into *text (NUL-terminated,
 * caller frees).  WB_ENOTFOUND when it does not exist, WB_EIO when it
 * cannot be read, WB_EINVALID when larger, each with a message naming it.
 */
int wb__ini_read_file(char **text, size_t *len, const char *path, size_t max);

#endif /* WB_INI_H */
