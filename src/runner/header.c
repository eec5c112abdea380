/*
 * header.c - parse and stamp the header comment of a migration file.
 *
 * The header is the block comment that opens a migration: a description,
 * then pairs of "Execution Time:" / "Finalization Time:" lines.  Parsing is
 * tolerant (the leading " * " of a line is optional, spaces around labels
 * and values are ignored, labels match case-insensitively) and never fails
 * on malformed text: every departure from the strict grammar is recorded as
 * a problem with its line, which `whimbrel lint` prints.  Stamping rewrites
 * one pair of lines (or inserts a new pair) and copies every other byte of
 * the file unchanged, through a temporary file renamed over the original.
 * Only the first 64 KB of a file are examined for the header, so a huge or
 * binary file costs little and cannot crash the parser.  The grammar is
 * written down in docs/header-grammar.md.
 */
#define _GNU_SOURCE   /* strncasecmp, realpath, timegm */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common.h"
#include "header.h"

#define HEADER_MAX (64 * 1024)   /* the header must close within this many bytes */
#define TIME_LEN 26              /* strlen("2026-11-25 at 10:00:03 UTC") */
#define VALUE_MAX 200            /* longest value looked at in a time line */

static const char *const label_text[] = {"", "Execution Time", "Finalization Time"};

enum label { L_NONE = 0, L_EXEC = 1, L_FIN = 2 };

/* One time line of the header, located by byte offsets into the text. */
struct tline {
	int no;             /* 1-based line number */
	enum label kind;    /* L_EXEC or L_FIN */
	size_t start;       /* first byte of the line */
	size_t label;       /* first byte of the label */
	size_t value;       /* first byte after the colon (or after the label if none) */
	size_t vend;        /* end of the line's content: before "\r\n", "\n" or the closing marker */
	size_t end;         /* offset of the line's '\n' (or of the closing marker) */
	int colon;          /* the label has its colon */
	int closes;         /* the comment closes on this line */
	int bad;            /* the value is present but malformed */
	int empty;          /* the value is empty */
	time_t t;           /* the time, 0 when empty or bad */
	char note[64];      /* the note in parentheses (Finalization lines) */
};

/* Parser state; the header and the time lines are owned by the caller of parse(). */
struct parser {
	const char *text;   /* the file contents */
	size_t len;         /* their length (not capped) */
	wb_header *h;       /* result being built */
	struct tline *tl;   /* time lines in file order */
	size_t ntl;         /* how many */
	size_t open;        /* offset of the opening marker */
	size_t body_end;    /* offset of the closing marker, or where the search stopped */
	int open_line;      /* line of the opening marker */
	int ctrl_seen;      /* a control character was reported already */
	int closed;         /* the comment has its closing marker */
	char *desc;         /* description being built (malloc'd) */
	size_t desc_len;    /* its length */
};

/* ---- time format ---- */

void wb_time_format(char *buf, size_t size, time_t t)
{
	struct tm tm;

	if (!buf || size == 0)
		return;
	if (!gmtime_r(&t, &tm) || strftime(buf, size, "%Y-%m-%d at %H:%M:%S UTC", &tm) == 0)
		snprintf(buf, size, "?");
}

static int digits(const char *s, int n, int *out)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 0;
}

static int days_in_month(int y, int m)
{
	static const int d[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	return m == 2 && leap ? 29 : d[m - 1];
}

/* Check the fixed characters and fields of "YYYY-MM-DD at HH:MM:SS UTC". */
static int time_fields(const char *s, struct tm *tm)
{
	int y, mo, d, h, mi, se;

	if (strlen(s) != TIME_LEN || s[4] != '-' || s[7] != '-' || memcmp(s + 10, " at ", 4) != 0 ||
	    s[16] != ':' || s[19] != ':' || strcmp(s + 22, " UTC") != 0)
		return -1;
	if (digits(s, 4, &y) || digits(s + 5, 2, &mo) || digits(s + 8, 2, &d) ||
	    digits(s + 14, 2, &h) || digits(s + 17, 2, &mi) || digits(s + 20, 2, &se))
		return -1;
	if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) ||
	    h > 23 || mi > 59 || se > 59)
		return -1;
	memset(tm, 0, sizeof(*tm));
	tm->tm_year = y - 1900;
	tm->tm_mon = mo - 1;
	tm->tm_mday = d;
	tm->tm_hour = h;
	tm->tm_min = mi;
	tm->tm_sec = se;
	return 0;
}

int wb_time_parse(time_t *out, const char *text)
{
	struct tm tm;
	time_t t;

	if (!out || !text)
		return wb__error(NULL, WB_EINVALID, "no time given");
	*out = 0;
	if (time_fields(text, &tm) < 0 || (t = timegm(&tm)) <= 0)
		return wb__error(NULL, WB_EINVALID,
				 "bad time '%.60s': expected YYYY-MM-DD at HH:MM:SS UTC", text);
	*out = t;
	return 0;
}

/* ---- parsing ---- */

static int problem(struct parser *p, int line, const char *fmt, ...) WB_PRINTF(3, 4);

static int problem(struct parser *p, int line, const char *fmt, ...)
{
	wb_header *h = p->h;
	wb_header_problem *np;
	va_list ap;

	if (!(np = wb__realloc(h->problems, (h->nproblems + 1) * sizeof(*np))))
		return WB_ENOMEM;
	h->problems = np;
	np += h->nproblems++;
	np->line = line;
	va_start(ap, fmt);
	vsnprintf(np->msg, sizeof(np->msg), fmt, ap);
	va_end(ap);
	return 0;
}

/* Copy at most size-1 bytes of s[0..n) into buf, control bytes shown as '?'. */
static void printable(char *buf, size_t size, const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n && i + 1 < size; i++) {
		unsigned char c = (unsigned char)s[i];
		buf[i] = c < 0x20 || c == 0x7f ? '?' : (char)c;
	}
	buf[i] = '\0';
}

static int is_space(char c)
{
	return c == ' ' || c == '\t';
}

/* Match "WORD" case-insensitively at s (n bytes); returns its length or 0. */
static size_t word(const char *s, size_t n, const char *w)
{
	size_t k = strlen(w);

	return n >= k && strncasecmp(s, w, k) == 0 ? k : 0;
}

/*
 * Recognise a time label at s[0..n): "Execution Time" or "Finalization
 * Time", any case, words separated by blanks, then an optional colon.  A
 * label without its colon counts only when nothing or a digit follows it
 * (so "Execution time of the job ..." stays description text).  Sets
 * *used to the bytes up to and including the colon and *colon.
 */
static enum label match_label(const char *s, size_t n, size_t *used, int *colon)
{
	static const char *const first[] = {NULL, "execution", "finalization"};
	size_t i, k;

	for (int kind = L_EXEC; kind <= L_FIN; kind++) {
		if (!(i = word(s, n, first[kind])) || i >= n || !is_space(s[i]))
			continue;
		while (i < n && is_space(s[i]))
			i++;
		if (!(k = word(s + i, n - i, "time")))
			continue;
		i += k;
		if (i < n && s[i] != ':' && !is_space(s[i]))
			continue;
		k = i;
		while (k < n && is_space(s[k]))
			k++;
		*colon = k < n && s[k] == ':';
		if (*colon) {
			*used = k + 1;
			return kind;
		}
		if (k == n || (s[k] >= '0' && s[k] <= '9')) {
			*used = i;
			return kind;
		}
	}
	return L_NONE;
}

/* Split "TIME (note)" of a Finalization line; returns the time part's length. */
static size_t split_note(struct tline *t, const char *v, size_t n)
{
	const char *open;
	size_t tn;

	if (t->kind != L_FIN || n < 3 || v[n - 1] != ')' || !(open = memchr(v, '(', n)))
		return n;
	tn = (size_t)(open - v);
	if (n - tn - 2 >= sizeof(t->note) || memchr(open + 1, '(', n - tn - 2))
		return n;
	printable(t->note, sizeof(t->note), open + 1, n - tn - 2);
	while (tn > 0 && is_space(v[tn - 1]))
		tn--;
	return tn;
}

/* Parse the value of a time line: empty, a time, or malformed (a problem). */
static int parse_value(struct parser *p, struct tline *t)
{
	const char *v = p->text + t->value;
	size_t n = t->vend - t->value, tn;
	char buf[VALUE_MAX + 1];

	while (n > 0 && is_space(*v))
		v++, n--;
	while (n > 0 && is_space(v[n - 1]))
		n--;
	if (n == 0) {
		t->empty = 1;
		return 0;
	}
	tn = split_note(t, v, n);
	if (tn <= VALUE_MAX) {
		memcpy(buf, v, tn);
		buf[tn] = '\0';
		if (time_fields(buf, &(struct tm){0}) == 0 && wb_time_parse(&t->t, buf) == 0)
			return 0;
	}
	t->bad = 1;
	t->note[0] = '\0';
	printable(buf, 48, v, n);
	return problem(p, t->no, "bad %s '%s%s': expected YYYY-MM-DD at HH:MM:SS UTC%s",
		       label_text[t->kind], buf, n > 47 ? "..." : "",
		       t->kind == L_FIN ? " and an optional (note)" : "");
}

static int add_tline(struct parser *p, const struct tline *t)
{
	struct tline *n = wb__realloc(p->tl, (p->ntl + 1) * sizeof(*n));

	if (!n)
		return WB_ENOMEM;
	p->tl = n;
	p->tl[p->ntl++] = *t;
	return 0;
}

/* A time line: check the label's spelling, parse the value, remember it. */
static int time_line(struct parser *p, struct tline *t, size_t used, int colon)
{
	const char *want = label_text[t->kind];
	size_t wl = strlen(want);
	int rc = 0;

	t->colon = colon;
	t->value = t->label + used;
	if (!colon)
		rc = problem(p, t->no, "missing colon after '%s'", want);
	else if (used != wl + 1 || memcmp(p->text + t->label, want, wl) != 0)
		rc = problem(p, t->no, "write the label exactly as '%s:'", want);
	if (rc == 0)
		rc = parse_value(p, t);
	return rc ? rc : add_tline(p, t);
}

static int desc_append(struct parser *p, const char *s, size_t n, int line)
{
	char *d = wb__realloc(p->desc, p->desc_len + n + 2);

	if (!d)
		return WB_ENOMEM;
	p->desc = d;
	if (p->desc_len == 0)
		p->h->desc_line = line;
	else
		d[p->desc_len++] = ' ';
	printable(d + p->desc_len, n + 1, s, n);
	p->desc_len += n;
	return 0;
}

/* Report the first control character of the header (binary data). */
static int check_bytes(struct parser *p, size_t from, size_t to, int line)
{
	for (size_t i = from; i < to && !p->ctrl_seen; i++) {
		unsigned char c = (unsigned char)p->text[i];
		if ((c < 0x20 && c != '\t' && c != '\r') || c == 0x7f) {
			p->ctrl_seen = 1;
			return problem(p, line, "control character 0x%02x in the header (binary data?)", c);
		}
	}
	return 0;
}

/* One line of the comment body, s..e (e at '\n' or the closing marker). */
static int body_line(struct parser *p, size_t s, size_t e, int line, int closes)
{
	struct tline t = {0};
	size_t c = s, ce = e, used = 0;
	int colon = 0, rc;

	if (!closes && ce > s && p->text[ce - 1] == '\r')
		ce--;
	if ((rc = check_bytes(p, s, ce, line)) < 0)
		return rc;
	while (c < ce && is_space(p->text[c]))
		c++;
	while (c < ce && p->text[c] == '*')
		c++;
	while (c < ce && is_space(p->text[c]))
		c++;
	t.kind = match_label(p->text + c, ce - c, &used, &colon);
	if (t.kind != L_NONE) {
		t.no = line, t.start = s, t.label = c, t.vend = ce, t.end = e, t.closes = closes;
		return time_line(p, &t, used, colon);
	}
	while (ce > c && is_space(p->text[ce - 1]))
		ce--;
	if (ce == c)
		return 0;
	if (p->ntl == 0)
		return desc_append(p, p->text + c, ce - c, line);
	if (!p->closed)
		return 0;   /* an unclosed comment runs into the code: one problem is enough */
	return problem(p, line, "unexpected text among the time lines (the description goes above them)");
}

/* Find the opening marker after blank space (and a UTF-8 BOM); -1 if none. */
static int find_open(struct parser *p, int *line)
{
	size_t i = 0;

	*line = 1;
	if (p->len >= 3 && memcmp(p->text, "\xef\xbb\xbf", 3) == 0)
		i = 3;
	for (; i < p->len && i < HEADER_MAX; i++) {
		char c = p->text[i];
		if (c == '\n')
			(*line)++;
		else if (!is_space(c) && c != '\r' && c != '\f' && c != '\v')
			break;
	}
	if (i + 1 >= p->len || p->text[i] != '/' || p->text[i + 1] != '*')
		return -1;
	p->open = i;
	return 0;
}

/* Walk the comment body line by line; sets end_line and body_end. */
static int scan_body(struct parser *p)
{
	size_t lim = p->len < HEADER_MAX ? p->len : HEADER_MAX;
	size_t s = p->open + 2, i;
	int line = p->open_line, rc;
	const char *close = NULL;

	for (i = s; i + 1 < lim; i++)
		if (p->text[i] == '*' && p->text[i + 1] == '/') {
			close = p->text + i;
			break;
		}
	p->body_end = close ? (size_t)(close - p->text) : lim;
	p->closed = close != NULL;
	for (i = s; i <= p->body_end; i++) {
		if (i < p->body_end && p->text[i] != '\n')
			continue;
		if ((rc = body_line(p, s, i, line, i == p->body_end && close)) < 0)
			return rc;
		if (i < p->body_end)
			line++;
		s = i + 1;
	}
	if (close)
		p->h->end_line = line;
	else if (p->len > HEADER_MAX)
		return problem(p, p->open_line, "the header comment is not closed within the first 64 KB");
	else
		return problem(p, p->open_line, "the header comment is not closed (no */)");
	return 0;
}

static int add_run(struct parser *p, const struct tline *t)
{
	wb_header *h = p->h;
	wb_header_run *r = wb__realloc(h->runs, (h->nruns + 1) * sizeof(*r));

	if (!r)
		return WB_ENOMEM;
	h->runs = r;
	r += h->nruns++;
	memset(r, 0, sizeof(*r));
	if (t->kind == L_EXEC) {
		r->exec = t->t;
		r->exec_line = t->no;
	} else {
		r->fin = t->t;
		r->fin_line = t->no;
		memcpy(r->note, t->note, sizeof(r->note));
	}
	return 0;
}

/* Pair the time lines into runs: a Finalization line closes the open Execution line. */
static int pair_lines(struct parser *p)
{
	wb_header_run *cur = NULL;
	int rc;

	for (size_t i = 0; i < p->ntl; i++) {
		const struct tline *t = &p->tl[i];
		if (t->kind == L_FIN && cur && cur->exec_line && !cur->fin_line) {
			cur->fin = t->t;
			cur->fin_line = t->no;
			memcpy(cur->note, t->note, sizeof(cur->note));
			continue;
		}
		if ((rc = add_run(p, t)) < 0)
			return rc;
		cur = &p->h->runs[p->h->nruns - 1];
	}
	return 0;
}

static const struct tline *tline_at(const struct parser *p, int line, enum label kind)
{
	for (size_t i = 0; i < p->ntl; i++)
		if (p->tl[i].no == line && p->tl[i].kind == kind)
			return &p->tl[i];
	return NULL;
}

/* The checks of one pair that need both its lines. */
static int check_pair(struct parser *p, const wb_header_run *r, int last)
{
	const struct tline *e = tline_at(p, r->exec_line, L_EXEC);
	const struct tline *f = tline_at(p, r->fin_line, L_FIN);
	char a[32], b[32];

	if (!e || !f || e->bad || f->bad)
		return 0;
	if (e->empty && !f->empty)
		return problem(p, r->exec_line, "Execution Time is empty but its Finalization Time is filled");
	if (!e->empty && f->empty)
		return problem(p, r->fin_line, "Finalization Time is empty but its Execution Time is filled");
	if (e->empty && f->empty && !last)
		return problem(p, r->exec_line, "only the last Execution/Finalization pair may be empty "
			       "(one empty pair, after the filled ones)");
	if (!e->empty && r->fin < r->exec) {
		wb_time_format(a, sizeof(a), r->fin);
		wb_time_format(b, sizeof(b), r->exec);
		return problem(p, r->fin_line, "Finalization Time %s is before its Execution Time %s", a, b);
	}
	return 0;
}

static int check_runs(struct parser *p)
{
	wb_header *h = p->h;
	int rc = 0;

	if (h->nruns == 0)
		return problem(p, h->end_line ? h->end_line : p->open_line,
			       "no 'Execution Time:' / 'Finalization Time:' lines in the header");
	for (size_t i = 0; i < h->nruns && rc == 0; i++) {
		const wb_header_run *r = &h->runs[i];
		if (!r->fin_line)
			rc = problem(p, r->exec_line, "Execution Time without a Finalization Time line after it");
		else if (!r->exec_line)
			rc = problem(p, r->fin_line, "Finalization Time without an Execution Time line before it");
		else
			rc = check_pair(p, r, i + 1 == h->nruns);
	}
	return rc;
}

/* The whole parse; on success p->h and p->tl are filled (the caller frees them). */
static int parse(struct parser *p, const char *text, size_t len)
{
	int rc;

	memset(p, 0, sizeof(*p));
	p->text = text;
	p->len = text ? len : 0;
	if (!(p->h = wb__calloc(1, sizeof(*p->h))))
		return WB_ENOMEM;
	if (find_open(p, &p->open_line) < 0) {
		p->h->desc_line = p->open_line;
		if ((rc = problem(p, p->open_line, "no header comment: the file must start with /* ... */ "
				  "holding the description and the time lines")) < 0)
			return rc;
		return wb__error(NULL, WB_EINVALID, "no header comment at the top of the file");
	}
	if ((rc = scan_body(p)) < 0)
		return rc;
	if (p->desc_len == 0) {
		p->h->desc_line = p->open_line;
		if ((rc = problem(p, p->open_line, "empty description: say what the migration does "
				  "above the time lines")) < 0)
			return rc;
	}
	if ((rc = pair_lines(p)) == 0)
		rc = check_runs(p);
	return rc;
}

/* Finish a parse: hand the header to *out (or free it on ENOMEM). */
static int parse_finish(struct parser *p, wb_header **out, int rc)
{
	if (p->h) {
		p->h->description = p->desc ? p->desc : wb__strdup("");
		p->desc = NULL;
		if (!p->h->description && rc != WB_ENOMEM)
			rc = WB_ENOMEM;
	}
	free(p->desc);
	if (rc == WB_ENOMEM) {
		wb_header_free(p->h);
		return wb__oom(NULL);
	}
	*out = p->h;
	return rc;
}

int wb_header_parse(wb_header **out, const char *text, size_t len)
{
	struct parser p;
	int rc;

	if (!out)
		return wb__error(NULL, WB_EINVALID, "wb_header_parse: no output");
	*out = NULL;
	rc = parse(&p, text, len);
	free(p.tl);
	return parse_finish(&p, out, rc);
}

void wb_header_free(wb_header *h)
{
	if (!h)
		return;
	free(h->description);
	free(h->runs);
	free(h->problems);
	free(h);
}

time_t wb_header_last_finalization(const wb_header *h)
{
	time_t t = 0;

	for (size_t i = 0; h && i < h->nruns; i++)
		if (h->runs[i].fin > t)
			t = h->runs[i].fin;
	return t;
}

const char *wb_header_description(const wb_header *h)
{
	return h && h->description ? h->description : "";
}

size_t wb_header_run_count(const wb_header *h)
{
	return h ? h->nruns : 0;
}

const wb_header_run *wb_header_run_at(const wb_header *h, size_t i)
{
	return h && i < h->nruns ? &h->runs[i] : NULL;
}

size_t wb_header_problem_count(const wb_header *h)
{
	return h ? h->nproblems : 0;
}

const wb_header_problem *wb_header_problem_at(const wb_header *h, size_t i)
{
	return h && i < h->nproblems ? &h->problems[i] : NULL;
}

/* ---- files ---- */

/* Read up to HEADER_MAX + 1 bytes of fd into buf; returns the count or -1. */
static ssize_t read_head(int fd, char *buf)
{
	size_t n = 0;

	while (n < HEADER_MAX + 1) {
		ssize_t r = read(fd, buf + n, HEADER_MAX + 1 - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		if (r == 0)
			break;
		n += (size_t)r;
	}
	return (ssize_t)n;
}

int wb_header_parse_file(wb_header **out, const char *path)
{
	char *buf;
	ssize_t n;
	int fd, rc;

	if (!out || !path)
		return wb__error(NULL, WB_EINVALID, "wb_header_parse_file: no path");
	*out = NULL;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return wb__error(NULL, WB_EIO, "cannot read %s: %s", path, strerror(errno));
	if (!(buf = wb__malloc(HEADER_MAX + 1))) {
		close(fd);
		return WB_ENOMEM;
	}
	n = read_head(fd, buf);
	if (n < 0) {
		rc = wb__error(NULL, WB_EIO, "cannot read %s: %s", path, strerror(errno));
	} else {
		rc = wb_header_parse(out, buf, (size_t)n);
		if (rc == WB_EINVALID)
			wb__error(NULL, rc, "%s: no header comment at the top of the file", path);
	}
	free(buf);
	close(fd);
	return rc;
}

/* ---- stamping ---- */

/* One replacement of bytes [from, to) of the head by `text`. */
struct edit {
	size_t from, to;   /* byte range replaced (from == to: insertion) */
	char text[256];    /* replacement */
};

/* Status notes are short printable words: no parentheses or control bytes. */
static int check_status(const char *path, const char *status)
{
	if (!status)
		return 0;
	if (strlen(status) >= sizeof(((wb_header_run *)0)->note) || !status[0])
		return wb__error(NULL, WB_EINVALID, "cannot stamp %s: status must be 1 to 63 characters", path);
	for (const char *s = status; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f || *s == '(' || *s == ')')
			return wb__error(NULL, WB_EINVALID, "cannot stamp %s: bad character in status", path);
	return 0;
}

/* "TIME" or "TIME (status)" for a Finalization line. */
static void fin_value(char *buf, size_t size, time_t fin, const char *status)
{
	char t[32];

	wb_time_format(t, sizeof(t), fin);
	if (status && strcmp(status, "succeeded") != 0)
		snprintf(buf, size, "%s (%s)", t, status);
	else
		snprintf(buf, size, "%s", t);
}

/* Replace the value of time line t by `value`, keeping a closing marker apart. */
static int fill_edit(struct edit *e, const struct tline *t, const char *value, const char *path)
{
	if (!t->colon || t->bad || !t->empty)
		return wb__error(NULL, WB_EINVALID, "cannot stamp %s: line %d is not an empty '%s:' line",
				 path, t->no, label_text[t->kind]);
	e->from = t->value;
	e->to = t->vend;
	snprintf(e->text, sizeof(e->text), " %s%s", value, t->closes ? " " : "");
	return 0;
}

/* Fill the first pair whose Execution Time is empty; 1 if there is none. */
static int plan_fill(struct edit e[2], const struct parser *p, const char *path,
		     const char *exec_s, const char *fin_s)
{
	for (size_t i = 0; i < p->ntl; i++) {
		const struct tline *t = &p->tl[i];
		if (t->kind != L_EXEC || !t->empty)
			continue;
		if (i + 1 >= p->ntl || p->tl[i + 1].kind != L_FIN)
			return wb__error(NULL, WB_EINVALID, "cannot stamp %s: the empty Execution Time "
					 "on line %d has no Finalization Time line after it", path, t->no);
		if (fill_edit(&e[0], t, exec_s, path) < 0 || fill_edit(&e[1], &p->tl[i + 1], fin_s, path) < 0)
			return WB_EINVALID;
		return 0;
	}
	return 1;
}

/* Insert a new pair after the last Finalization line, with its line prefix. */
static int plan_insert(struct edit *e, const struct parser *p, const char *path,
		       const char *exec_s, const char *fin_s)
{
	const struct tline *f = NULL;
	const char *eol;
	int plen;

	for (size_t i = 0; i < p->ntl; i++)
		if (p->tl[i].kind == L_FIN)
			f = &p->tl[i];
	if (!f)
		return wb__error(NULL, WB_EINVALID, "cannot stamp %s: the header has no "
				 "'Execution Time:' / 'Finalization Time:' lines", path);
	plen = (int)(f->label - f->start);
	if (f->closes || f->no == p->open_line || f->end >= p->len || plen > 64)
		return wb__error(NULL, WB_EINVALID, "cannot stamp %s: the Finalization Time on line %d "
				 "must be on a line of its own inside the comment", path, f->no);
	eol = f->end > f->start && p->text[f->end - 1] == '\r' ? "\r\n" : "\n";
	e->from = e->to = f->end + 1;
	snprintf(e->text, sizeof(e->text), "%.*sExecution Time: %s%s%.*sFinalization Time: %s%s",
		 plen, p->text + f->start, exec_s, eol, plen, p->text + f->start, fin_s, eol);
	return 0;
}

static int write_all(int fd, const char *s, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, s, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -1;
		s += w;
		n -= (size_t)w;
	}
	return 0;
}

/*
 * Write head with the edits applied (sorted, non-overlapping), then the rest
 * of in, reusing head (HEADER_MAX + 1 bytes) as the copy buffer.
 */
static int write_stamped(int out, int in, char *head, size_t n, const struct edit *e, int ne)
{
	size_t at = 0;
	ssize_t r;

	for (int i = 0; i < ne; i++) {
		if (write_all(out, head + at, e[i].from - at) < 0 ||
		    write_all(out, e[i].text, strlen(e[i].text)) < 0)
			return -1;
		at = e[i].to;
	}
	if (write_all(out, head + at, n - at) < 0)
		return -1;
	while ((r = read(in, head, HEADER_MAX + 1)) != 0) {
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 || write_all(out, head, (size_t)r) < 0)
			return -1;
	}
	return 0;
}

/* Make the rename durable: fsync the directory holding path (best effort). */
static void sync_dir(const char *path)
{
	char dir[PATH_MAX];
	const char *slash = strrchr(path, '/');
	int fd;

	if (!slash || (size_t)(slash - path) >= sizeof(dir))
		return;
	memcpy(dir, path, (size_t)(slash - path));
	dir[slash == path ? 1 : slash - path] = '\0';
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0) {
		fsync(fd);
		close(fd);
	}
}

/* Write the stamped copy to real.tmp.PID with the original mode and rename it over. */
static int replace_file(const char *real, const char *path, int in, mode_t mode,
			char *head, size_t n, const struct edit *e, int ne)
{
	char tmp[PATH_MAX + 32];
	int fd, rc = 0;

	snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", real, (long)getpid());
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600)) < 0)
		return wb__error(NULL, WB_EIO, "cannot stamp %s: cannot create %s: %s", path, tmp, strerror(errno));
	if (fchmod(fd, mode & 07777) < 0 || write_stamped(fd, in, head, n, e, ne) < 0 || fsync(fd) < 0)
		rc = wb__error(NULL, WB_EIO, "cannot stamp %s: writing %s: %s", path, tmp, strerror(errno));
	if (close(fd) < 0 && rc == 0)
		rc = wb__error(NULL, WB_EIO, "cannot stamp %s: writing %s: %s", path, tmp, strerror(errno));
	if (rc == 0 && rename(tmp, real) < 0)
		rc = wb__error(NULL, WB_EIO, "cannot stamp %s: rename: %s", path, strerror(errno));
	if (rc < 0)
		unlink(tmp);
	else
		sync_dir(real);
	return rc;
}

/* Parse the head of the open file and decide the edits; returns their count. */
static int plan_stamp(struct edit e[2], struct parser *p, const char *path,
		      const char *head, size_t n, time_t exec, time_t fin, const char *status)
{
	char exec_s[32], fin_s[128];
	int rc = parse(p, head, n);

	if (rc == WB_EINVALID)
		return wb__error(NULL, rc, "cannot stamp %s: no header comment at the top of the file", path);
	if (rc < 0)
		return rc;
	if (!p->h->end_line)
		return wb__error(NULL, WB_EINVALID, "cannot stamp %s: the header comment is not closed%s",
				 path, n > HEADER_MAX ? " within the first 64 KB" : "");
	wb_time_format(exec_s, sizeof(exec_s), exec);
	fin_value(fin_s, sizeof(fin_s), fin, status);
	if ((rc = plan_fill(e, p, path, exec_s, fin_s)) <= 0)
		return rc < 0 ? rc : 2;
	return (rc = plan_insert(e, p, path, exec_s, fin_s)) < 0 ? rc : 1;
}

int wb_header_stamp(const char *path, time_t exec, time_t fin, const char *status)
{
	char real[PATH_MAX], *head = NULL;
	struct edit e[2];
	struct parser p = {0};
	struct stat st;
	ssize_t n;
	int fd = -1, rc;

	if (!path || exec <= 0 || fin <= 0)
		return wb__error(NULL, WB_EINVALID, "wb_header_stamp: path and positive times required");
	if ((rc = check_status(path, status)) < 0)
		return rc;
	if (!realpath(path, real) || (fd = open(real, O_RDONLY | O_CLOEXEC)) < 0 || fstat(fd, &st) < 0) {
		rc = wb__error(NULL, WB_EIO, "cannot stamp %s: %s", path, strerror(errno));
		goto done;
	}
	if (!S_ISREG(st.st_mode)) {
		rc = wb__error(NULL, WB_EINVALID, "cannot stamp %s: not a regular file", path);
		goto done;
	}
	if (!(head = wb__malloc(HEADER_MAX + 1))) {
		rc = WB_ENOMEM;
		goto done;
	}
	if ((n = read_head(fd, head)) < 0) {
		rc = wb__error(NULL, WB_EIO, "cannot stamp %s: %s", path, strerror(errno));
		goto done;
	}
	if ((rc = plan_stamp(e, &p, path, head, (size_t)n, exec, fin, status)) > 0)
		rc = replace_file(real, path, fd, st.st_mode, head, (size_t)n, e, rc);
done:
	if (p.h) {
		free(p.desc);
		wb_header_free(p.h);
	}
	free(p.tl);
	free(head);
	if (fd >= 0)
		close(fd);
	return rc;
}
