/*
 * jsonl.c - JSON lines read in order and parsed on worker threads (jsonl.h).
 *
 * The calling thread reads blocks of up to BLOCK_LINES lines (or
 * BLOCK_BYTES) into a ring of RING(threads) blocks, numbered in file order;
 * the workers take the blocks in that order and parse every line of one
 * into its item or its error message; wb_cli_jsonl_next hands the lines of
 * the oldest block out once it is parsed, and refills the ring as blocks
 * are used up.  Three counters under one mutex tell where each block is:
 * filled < fill, claimed by a worker < claim, handed out < take.
 */
#include <errno.h>
#include <jansson.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "jsonl.h"

#define BLOCK_LINES 512          /* lines per block */
#define BLOCK_BYTES (1u << 20)   /* text per block (a longer line makes a block of its own) */
#define RING(n) (2 * (n) + 2)    /* blocks in flight with n workers */
#define REASON_MAX 1100          /* an error message */

/* Lines read together, then their results. */
struct block {
	char *text;                  /* the lines, each NUL-terminated */
	size_t tlen, tcap;           /* used, allocated */
	size_t off[BLOCK_LINES];     /* where each line starts in text */
	size_t len[BLOCK_LINES];     /* its length */
	unsigned long long lineno[BLOCK_LINES]; /* its number */
	size_t n;                    /* lines */
	wb_item *item[BLOCK_LINES];  /* parsed items (NULL: bad, or handed out) */
	char *error[BLOCK_LINES];    /* why a line is bad, or NULL */
	int parsed;                  /* results are in */
};

struct wb_cli_jsonl {
	FILE *in;                    /* the input */
	const wb_key_schema *key;    /* the table's key (AWS export unwrapping) */
	pthread_t th[WB_JSONL_WORKERS]; /* workers */
	int nth;                     /* how many run */
	pthread_mutex_t mu;          /* guards the counters, parsed and stop */
	pthread_cond_t work;         /* a block was filled, or stop */
	pthread_cond_t done;         /* a block was parsed */
	struct block *ring;          /* RING(nth) blocks */
	size_t nring;                /* their number */
	unsigned long long fill, claim, take; /* blocks filled, claimed by a worker, handed out */
	size_t pos;                  /* next line of the block being handed out */
	int stop;                    /* close: workers leave */
	int eof;                     /* the input is read (or failed: rerr) */
	int rerr;                    /* errno of a read error, 0 */
	char *line;                  /* getline buffer */
	size_t cap;                  /* its size */
	unsigned long long lineno;   /* lines read */
};

/* Strip the line end (and a byte order mark on line 1); 1 when blank. */
static int clean_line(char *line, size_t *len, unsigned long long lineno)
{
	size_t n = *len;

	while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		line[--n] = '\0';
	if (lineno == 1 && n >= 3 && memcmp(line, "\xef\xbb\xbf", 3) == 0) {
		memmove(line, line + 3, n - 2);
		n -= 3;
	}
	*len = n;
	for (size_t i = 0; i < n; i++)
		if (line[i] != ' ' && line[i] != '\t')
			return 0;
	return 1;
}

/*
 * AWS's export of a DynamoDB table to S3 writes lines {"Item":{...}} holding
 * DynamoDB JSON.  When a line parsed as one map attribute "Item" (and the
 * table has no key of that name), read the inner object as an item (the
 * item as it was would lack its key anyway); keep it when that fails.
 */
static void unwrap_aws_export(wb_item **item, const char *line, size_t len, const wb_key_schema *key)
{
	json_t *root, *inner;
	wb_item *unwrapped = NULL;
	char *text = NULL;

	if (wb_item_count(*item) != 1 || strcmp(wb_item_name_at(*item, 0), "Item") != 0 ||
	    wb_value_type(wb_item_value_at(*item, 0)) != WB_M || strcmp(key->pk_name, "Item") == 0 ||
	    strcmp(key->sk_name, "Item") == 0)
		return;
	if ((root = json_loadb(line, len, 0, NULL)) && (inner = json_object_get(root, "Item")) &&
	    (text = json_dumps(inner, JSON_COMPACT | JSON_ENCODE_ANY)) &&
	    wb_item_from_json(&unwrapped, text, strlen(text), WB_JSON_AUTO) == 0) {
		wb_item_free(*item);
		*item = unwrapped;
	}
	free(text);
	json_decref(root);
}

/* Why parsing failed; "JSON line 1 column 7" says nothing more than "column 7" here. */
static char *bad_reason(int too_long)
{
	const char *msg = wb_error_last();
	char buf[REASON_MAX];

	if (too_long)
		return strdup("line too long: an item is at most 400 KB");
	if (strncmp(msg, "JSON line 1 column ", 19) != 0)
		return strdup(msg);
	snprintf(buf, sizeof(buf), "bad JSON at %s", msg + 12); /* "column N: ..." */
	return strdup(buf);
}

/* Parse line i of b into b->item[i] or b->error[i]. */
static void parse_one(const wb_cli_jsonl *j, struct block *b, size_t i)
{
	const char *line = b->text + b->off[i];
	size_t len = b->len[i];

	b->item[i] = NULL;
	b->error[i] = NULL;
	if (len > WB_JSONL_LINE_MAX || wb_item_from_json(&b->item[i], line, len, WB_JSON_AUTO) < 0) {
		b->error[i] = bad_reason(len > WB_JSONL_LINE_MAX); /* NULL when out of memory */
		return;
	}
	unwrap_aws_export(&b->item[i], line, len, j->key);
}

static void parse_block(const wb_cli_jsonl *j, struct block *b)
{
	for (size_t i = 0; i < b->n; i++)
		parse_one(j, b, i);
}

static void *worker(void *arg)
{
	wb_cli_jsonl *j = arg;
	struct block *b;

	pthread_mutex_lock(&j->mu);
	for (;;) {
		while (!j->stop && j->claim == j->fill)
			pthread_cond_wait(&j->work, &j->mu);
		if (j->stop)
			break;
		b = &j->ring[j->claim++ % j->nring];
		pthread_mutex_unlock(&j->mu);
		parse_block(j, b);
		pthread_mutex_lock(&j->mu);
		b->parsed = 1;
		pthread_cond_broadcast(&j->done);
	}
	pthread_mutex_unlock(&j->mu);
	return NULL;
}

/* Append a line to the block's text. */
static int block_add(struct block *b, const char *line, size_t len, unsigned long long lineno)
{
	if (b->tlen + len + 1 > b->tcap) {
		size_t cap = b->tcap ? b->tcap : 64 * 1024;
		char *p;
		while (cap < b->tlen + len + 1)
			cap *= 2;
		if (!(p = realloc(b->text, cap)))
			return -1;
		b->text = p;
		b->tcap = cap;
	}
	memcpy(b->text + b->tlen, line, len + 1);
	b->off[b->n] = b->tlen;
	b->len[b->n] = len;
	b->lineno[b->n++] = lineno;
	b->tlen += len + 1;
	return 0;
}

/* Read the next block of non-blank lines into b (b->n == 0 at the end). */
static void block_read(wb_cli_jsonl *j, struct block *b)
{
	ssize_t got;

	b->n = b->tlen = 0;
	b->parsed = 0;
	while (b->n < BLOCK_LINES && b->tlen < BLOCK_BYTES) {
		size_t len;
		errno = 0;
		if ((got = getline(&j->line, &j->cap, j->in)) < 0) {
			j->eof = 1;
			j->rerr = ferror(j->in) ? (errno ? errno : EIO) : 0;
			break;
		}
		len = (size_t)got;
		if (!clean_line(j->line, &len, ++j->lineno) && block_add(b, j->line, len, j->lineno) < 0) {
			j->eof = 1;
			j->rerr = ENOMEM;
			break;
		}
	}
}

/* Fill free blocks of the ring and hand them to the workers (or parse them here). */
static void refill(wb_cli_jsonl *j)
{
	while (!j->eof && j->fill - j->take < j->nring) {
		struct block *b = &j->ring[j->fill % j->nring];
		block_read(j, b);
		if (b->n == 0)
			break;
		if (j->nth == 0) {
			parse_block(j, b);
			b->parsed = 1;
		}
		pthread_mutex_lock(&j->mu);
		j->fill++;
		pthread_cond_signal(&j->work);
		pthread_mutex_unlock(&j->mu);
	}
}

int wb_cli_jsonl_next(wb_cli_jsonl *j, wb_cli_jsonl_line *line)
{
	struct block *b;

	for (;;) {
		if (j->take < j->fill) {
			b = &j->ring[j->take % j->nring];
			if (j->pos < b->n) {
				size_t i = j->pos++;
				line->lineno = b->lineno[i];
				line->item = b->item[i];
				line->error = b->item[i] ? NULL : b->error[i] ? b->error[i] : "out of memory";
				b->item[i] = NULL;
				return 1;
			}
			for (size_t i = 0; i < b->n; i++) {
				free(b->error[i]);
				b->error[i] = NULL;
			}
			j->take++;
			j->pos = 0;
		}
		refill(j);
		if (j->take == j->fill) {
			errno = j->rerr;
			return j->rerr ? -1 : 0;
		}
		b = &j->ring[j->take % j->nring];
		pthread_mutex_lock(&j->mu);
		while (!b->parsed)
			pthread_cond_wait(&j->done, &j->mu);
		pthread_mutex_unlock(&j->mu);
	}
}

int wb_cli_jsonl_open(wb_cli_jsonl **out, FILE *in, const wb_key_schema *key, int threads)
{
	wb_cli_jsonl *j = calloc(1, sizeof(*j));

	*out = NULL;
	if (!j)
		return -1;
	j->in = in;
	j->key = key;
	pthread_mutex_init(&j->mu, NULL);
	pthread_cond_init(&j->work, NULL);
	pthread_cond_init(&j->done, NULL);
	threads = threads < 0 ? 0 : threads > WB_JSONL_WORKERS ? WB_JSONL_WORKERS : threads;
	if (threads)
		json_object_seed(0); /* jansson's hash seed, set before threads parse */
	j->nring = RING(threads);
	if (!(j->ring = calloc(j->nring, sizeof(*j->ring)))) {
		wb_cli_jsonl_close(j);
		return -1;
	}
	for (; j->nth < threads; j->nth++)
		if (pthread_create(&j->th[j->nth], NULL, worker, j) != 0)
			break;
	if (threads && !j->nth) {
		wb_cli_jsonl_close(j);
		return -1;
	}
	*out = j;
	return 0;
}

void wb_cli_jsonl_close(wb_cli_jsonl *j)
{
	if (!j)
		return;
	pthread_mutex_lock(&j->mu);
	j->stop = 1;
	pthread_cond_broadcast(&j->work);
	pthread_mutex_unlock(&j->mu);
	for (int i = 0; i < j->nth; i++)
		pthread_join(j->th[i], NULL);
	for (size_t k = 0; j->ring && k < j->nring; k++) {
		struct block *b = &j->ring[k];
		for (size_t i = 0; b->parsed && i < b->n; i++) {
			wb_item_free(b->item[i]);
			free(b->error[i]);
		}
		free(b->text);
	}
	free(j->ring);
	free(j->line);
	pthread_mutex_destroy(&j->mu);
	pthread_cond_destroy(&j->work);
	pthread_cond_destroy(&j->done);
	free(j);
}

int wb_cli_jsonl_threads(void)
{
	const char *env = getenv("WHIMBREL_THREADS");
	long n = env && *env ? strtol(env, NULL, 10) : sysconf(_SC_NPROCESSORS_ONLN);

	return n <= 1 ? 0 : n > WB_JSONL_WORKERS ? WB_JSONL_WORKERS : (int)n;
}
