/*
 * child.c - start a migration program and supervise it; see child.h.
 *
 * One loop polls the child's stdout, stderr and control pipe and a
 * self-pipe written by our signal handler.  Output lines are forwarded as
 * they come and handed to the run's bounded log (logcap.c), which writes
 * them to whimbrel_logs in batches (at most every half second, or every
 * WB_LOG_BATCH lines).  A line longer than WB_LOG_LINE_MAX is cut, with a
 * note of how much was not kept.  Progress is one line on stderr, redrawn
 * in place and wiped before any other output.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common.h"
#include "child.h"
#include "ledger.h"
#include "logcap.h"

#define LEASE_LOST_GRACE_MS 5000 /* a child that lost its lease: SIGTERM this long after SIGINT */

/* A line-splitting input. */
struct input {
	int fd;              /* read end, -1 once at EOF */
	const char *stream;  /* "stdout", "stderr" or "ctl" */
	char buf[WB_LOG_LINE_MAX + 96]; /* partial line, and room for the note of a cut */
	size_t len;          /* bytes of the line in buf (at most WB_LOG_LINE_MAX) */
	size_t cut;          /* bytes of the line beyond WB_LOG_LINE_MAX, skipped */
};

/* The supervisor's state. */
struct sup {
	const wb_child_opts *o;  /* options */
	wb_child_result *r;      /* result being filled */
	pid_t pid;               /* the child */
	struct input in[3];      /* stdout, stderr, control */
	wb_logcap *log;          /* the run's stored log */
	int64_t last_flush;      /* ms of the last log flush */
	int64_t total;           /* items to visit, -1 unknown */
	int64_t before;          /* items done by earlier runs */
	int64_t start_ms;        /* when the child started */
	int64_t last_draw;       /* ms of the last progress draw */
	int64_t last_tick;       /* ms of the last tick */
	int drawn;               /* a progress line is on screen */
	int signals;             /* SIGINT/SIGTERM received */
	int stopped;             /* o->stop was acted on */
	int64_t stopped_ms;      /* when */
	int escalated;           /* signals sent since, for a lost lease (SIGTERM, then SIGKILL) */
	int reaped;              /* the child has been waited for */
	int status;              /* its wait status */
	int64_t reaped_ms;       /* when */
};

static int sig_pipe[2] = {-1, -1};
static volatile sig_atomic_t got_signals;

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void on_signal(int sig)
{
	int saved = errno;
	char c = (char)sig;

	got_signals++;
	if (sig_pipe[1] >= 0 && write(sig_pipe[1], &c, 1) < 0) {
		/* nothing to do: the loop also checks got_signals */
	}
	errno = saved;
}

/* ------------------------------------------------------------------ logs */

static void log_flush(struct sup *s)
{
	wb__logcap_flush(s->log);
	s->last_flush = now_ms();
}

static void log_line(struct sup *s, const char *stream, const char *line)
{
	wb__logcap_add(s->log, wall_ms(), stream, line, strlen(line));
}

/* "[level] text" on f with the text's control characters escaped. */
static void print_escaped(FILE *f, const char *level, const char *text)
{
	size_t size = 4 * strlen(text) + 1;
	char *esc = malloc(size);

	fprintf(f, "[%s] %s\n", level, esc ? wb__escape_line(esc, size, text) : "?");
	fflush(f);
	free(esc);
}

void wb__child_log(wb_db *db, const char *run_id, int64_t *seq, const char *stream, const char *line)
{
	wb_log_line l = {wall_ms(), stream, line, NULL, 0};

	if (db)
		wb__log_append(db, run_id, seq, &l, 1);
}

/* -------------------------------------------------------------- progress */

static void wipe(struct sup *s)
{
	if (s->drawn) {
		fputs("\r\033[K", stderr);
		s->drawn = 0;
	}
}

static void draw(struct sup *s)
{
	int64_t t = now_ms(), el = t - s->start_ms;
	int64_t done = s->before + s->r->counters.scanned;
	double rate = el > 0 ? (double)s->r->counters.scanned * 1000.0 / (double)el : 0;
	char line[256];
	int n;

	if (!s->o->progress || t - s->last_draw < 200)
		return;
	s->last_draw = t;
	if (s->total > 0) {
		int64_t left = s->total - done;
		n = snprintf(line, sizeof(line), "%s: %lld of %lld items (%d%%), %.0f/s", s->o->label,
			     (long long)done, (long long)s->total,
			     (int)(done * 100 / (s->total ? s->total : 1)), rate);
		if (rate > 0 && left > 0) {
			char eta[32];
			wb_format_duration(eta, sizeof(eta), (int64_t)((double)left / rate * 1000.0) + 1000);
			snprintf(line + n, sizeof(line) - (size_t)n, ", ETA %s", eta);
		}
	} else {
		snprintf(line, sizeof(line), "%s: %lld items, %.0f/s", s->o->label, (long long)done, rate);
	}
	fprintf(stderr, "\r\033[K%s", line);
	fflush(stderr);
	s->drawn = 1;
}

/* ---------------------------------------------------------------- control */

/* Add a failed key (DynamoDB JSON) to the JSON array r->verify_keys while it fits. */
static void verify_key(wb_child_result *r, const char *key)
{
	size_t used = strlen(r->verify_keys), len = strlen(key);
	char *at = r->verify_keys + (used ? used - 1 : 0);

	if (used + len + 3 > sizeof(r->verify_keys))
		return;
	*at++ = used ? ',' : '[';
	memcpy(at, key, len);
	at[len] = ']';
	at[len + 1] = '\0';
}

static void control(struct sup *s, char *line)
{
	wb_counters *c = &s->r->counters;
	long long a, b, d, e, f, g = 0, h = 0, k = 0;
	double ru = 0, wu = 0;

	if (line[0] == 'C' && sscanf(line + 1, "%lld %lld %lld %lld %lld %lld %lld %lld %lf %lf", &a, &b, &d, &e,
				     &f, &g, &h, &k, &ru, &wu) >= 5) {
		*c = (wb_counters){a, b, d, e, f, g, h, k, ru, wu};
	} else if (line[0] == 'T' && sscanf(line + 1, "%lld", &a) == 1) {
		s->total = (s->total < 0 ? 0 : s->total) + a;
	} else if (line[0] == 'R' && sscanf(line + 1, "%lld", &a) == 1) {
		s->before += a;
	} else if (line[0] == 'D' && sscanf(line + 1, "%lld", &a) == 1) {
		s->r->ended = 1;
		s->r->end_status = (int)a;
	} else if (line[0] == 'U' && sscanf(line + 1, "%lf %lf %lf %lf", &s->r->units.rcu, &s->r->units.wcu,
					    &s->r->units.index_wcu, &s->r->units.journal_wcu) == 4) {
		s->r->has_units = 1;
	} else if (line[0] == 'V' && sscanf(line + 1, "%lld %lld", &a, &b) == 2) {
		s->r->verified = 1;
		s->r->verify_checked = a;
		s->r->verify_failed = b;
	} else if (line[0] == 'K' && line[1] == ' ') {
		verify_key(s->r, line + 2);
	} else if (line[0] == 'E' && line[1] == ' ') {
		snprintf(s->r->error, sizeof(s->r->error), "%s", line + 2);
	} else if (line[0] == 'L' && line[1] == ' ') {
		char *level = line + 2, *text = strchr(level, ' ');
		const char *stream = strncmp(level, "warn", 4) == 0 ? "warn" :
				     strncmp(level, "error", 5) == 0 ? "error" : "info";
		text = text ? text + 1 : (char *)"";
		wipe(s);
		print_escaped(stream[0] == 'i' ? stdout : stderr, stream, text);
		log_line(s, stream, text);
	}
}

static void got_line(struct sup *s, struct input *in, char *line)
{
	if (in == &s->in[2]) {
		control(s, line);
		return;
	}
	wipe(s);
	FILE *f = in == &s->in[0] ? stdout : stderr;
	fprintf(f, "%s\n", line);
	fflush(f);
	log_line(s, in->stream, line);
}

/* The line in in->buf is complete: pass it on, with the note of a cut. */
static void end_line(struct sup *s, struct input *in)
{
	in->buf[in->len] = '\0';
	if (in->cut)
		snprintf(in->buf + in->len, sizeof(in->buf) - in->len,
			 " [... %zu more byte(s) of this line not kept]", in->cut);
	got_line(s, in, in->buf);
	in->len = 0;
	in->cut = 0;
}

/*
 * Read what is available and split it into lines.  A line keeps its first
 * WB_LOG_LINE_MAX bytes; the rest is counted and skipped up to its newline.
 */
static void drain(struct sup *s, struct input *in)
{
	char tmp[16384];
	ssize_t n = read(in->fd, tmp, sizeof(tmp));

	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n <= 0) {
		if (in->len || in->cut)
			end_line(s, in);
		close(in->fd);
		in->fd = -1;
		return;
	}
	for (char *p = tmp, *end = tmp + n; p < end;) {
		char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t take = (size_t)((nl ? nl : end) - p), room = WB_LOG_LINE_MAX - in->len;
		size_t keep = take < room ? take : room;
		memcpy(in->buf + in->len, p, keep);
		in->len += keep;
		in->cut += take - keep;
		p += take;
		if (nl) {
			end_line(s, in);
			p++;
		}
	}
}

/* ------------------------------------------------------------------ start */

extern char **environ;

/* The child's environment: ours, the run's settings and the control fd (caller frees the array). */
static char **child_env(const wb_child_opts *o, char *fdsetting)
{
	size_t n = 0, extra = 0, k = 0;
	char **env;

	while (environ[n])
		n++;
	while (o->env && o->env[extra])
		extra++;
	if (!(env = calloc(n + extra + 2, sizeof(*env))))
		return NULL;
	for (size_t i = 0; i < n; i++) {
		int replaced = strncmp(environ[i], "WHIMBREL_CTL_FD=", 16) == 0 ||
			       strncmp(environ[i], "WHIMBREL_RESUME=", 16) == 0;
		for (size_t j = 0; j < extra && !replaced; j++) {
			const char *eq = strchr(o->env[j], '=');
			size_t len = eq ? (size_t)(eq - o->env[j]) + 1 : 0;
			replaced = len && strncmp(environ[i], o->env[j], len) == 0;
		}
		if (!replaced)
			env[k++] = environ[i];
	}
	for (size_t j = 0; j < extra; j++)
		env[k++] = o->env[j];
	env[k++] = fdsetting;
	env[k] = NULL;
	return env;
}

/* In the child after fork: async-signal-safe calls only. */
static void child_exec(const wb_child_opts *o, char **env, int out[2], int err[2], int ctl[2],
		       pid_t parent)
{
	static const char msg[] = "whimbrel: cannot run the compiled migration\n";

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(137);
	signal(SIGPIPE, SIG_DFL);
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGHUP, SIG_DFL);
	if (dup2(out[1], STDOUT_FILENO) < 0 || dup2(err[1], STDERR_FILENO) < 0)
		_exit(127);
	fcntl(ctl[1], F_SETFD, 0); /* keep it across exec */
	char *argv[] = {(char *)o->exe, NULL};
	execve(o->exe, argv, env);
	if (write(STDERR_FILENO, msg, sizeof(msg) - 1) < 0)
		_exit(127);
	_exit(127);
}

static void install_handlers(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

static int start(struct sup *s)
{
	int out[2], err[2], ctl[2];
	pid_t parent = getpid();
	char fdsetting[64], **env;

	if (sig_pipe[0] < 0 && pipe2(sig_pipe, O_CLOEXEC | O_NONBLOCK) < 0)
		return -1;
	if (pipe2(out, O_CLOEXEC) < 0 || pipe2(err, O_CLOEXEC) < 0 || pipe2(ctl, O_CLOEXEC) < 0)
		return -1;
	snprintf(fdsetting, sizeof(fdsetting), "%s=%d", WB_ENV_CTL_FD, ctl[1]);
	if (!(env = child_env(s->o, fdsetting)))
		return -1;
	install_handlers();
	fflush(NULL);
	if ((s->pid = fork()) < 0) {
		free(env);
		return -1;
	}
	if (s->pid == 0)
		child_exec(s->o, env, out, err, ctl, parent);
	free(env);
	close(out[1]);
	close(err[1]);
	close(ctl[1]);
	s->in[0] = (struct input){.fd = out[0], .stream = "stdout"};
	s->in[1] = (struct input){.fd = err[0], .stream = "stderr"};
	s->in[2] = (struct input){.fd = ctl[0], .stream = "ctl"};
	return 0;
}

/* A signal for us: pass it on (SIGINT first, then SIGTERM, then SIGKILL). */
static void forward_signals(struct sup *s)
{
	char c[16];

	while (read(sig_pipe[0], c, sizeof(c)) > 0)
		;
	while (s->signals < got_signals) {
		s->signals++;
		s->r->interrupted = 1;
		kill(s->pid, s->signals == 1 ? SIGINT : s->signals == 2 ? SIGTERM : SIGKILL);
		if (s->signals == 1) {
			wipe(s);
			fprintf(stderr, "whimbrel: interrupted: stopping after the current batch "
					"(Ctrl-C again to stop at once)\n");
		}
	}
}

/* Reap the child if it has ended (non-blocking). */
static void reap(struct sup *s)
{
	if (!s->reaped && waitpid(s->pid, &s->status, WNOHANG) == s->pid) {
		s->reaped = 1;
		s->reaped_ms = now_ms();
	}
}

/* Go on while the child's pipes are open, or briefly after it ended (its
 * own children may hold them). */
static int running(struct sup *s)
{
	int open = s->in[0].fd >= 0 || s->in[1].fd >= 0 || s->in[2].fd >= 0;

	return open && (!s->reaped || now_ms() - s->reaped_ms < 1000);
}

/* Whether either stop flag (the lease's, the caller's) is set. */
static int stop_asked(const wb_child_opts *o)
{
	return (o->stop && *o->stop) || (o->stop_also && *o->stop_also);
}

/*
 * The lease was lost (o->stop): another run may hold it now, and two runs
 * must never overlap.  A child that does not stop after SIGINT (it does
 * not use wb_each, or is stuck) gets SIGTERM after LEASE_LOST_GRACE_MS,
 * then SIGKILL as long again later.
 */
static void escalate(struct sup *s)
{
	if (!s->stopped || s->reaped || !s->o->stop || !*s->o->stop || s->escalated >= 2 ||
	    now_ms() - s->stopped_ms < LEASE_LOST_GRACE_MS * (s->escalated + 1))
		return;
	kill(s->pid, s->escalated++ == 0 ? SIGTERM : SIGKILL);
}

static void loop(struct sup *s)
{
	while (running(s)) {
		struct pollfd p[4];
		int n = 0;
		for (int i = 0; i < 3; i++)
			p[n++] = (struct pollfd){.fd = s->in[i].fd, .events = POLLIN};
		p[n++] = (struct pollfd){.fd = sig_pipe[0], .events = POLLIN};
		int rc = poll(p, (nfds_t)n, 200);
		if (rc < 0 && errno != EINTR)
			break;
		for (int i = 0; rc > 0 && i < 3; i++)
			if (s->in[i].fd >= 0 && (p[i].revents & (POLLIN | POLLHUP | POLLERR)))
				drain(s, &s->in[i]);
		if (got_signals != s->signals)
			forward_signals(s);
		if (stop_asked(s->o) && !s->stopped) {
			s->stopped = 1;
			s->stopped_ms = now_ms();
			s->r->interrupted = 1;
			kill(s->pid, SIGINT);
		}
		escalate(s);
		draw(s);
		int64_t t = now_ms();
		if (wb__logcap_queued(s->log) && t - s->last_flush >= 500)
			log_flush(s);
		if (s->o->tick && t - s->last_tick >= 5000) {
			s->last_tick = t;
			s->o->tick(&s->r->counters, s->o->tick_arg);
		}
		reap(s);
	}
	for (int i = 0; i < 3; i++)
		if (s->in[i].fd >= 0) {
			close(s->in[i].fd);
			s->in[i].fd = -1;
		}
}

/* Wait for the child (forwarding signals meanwhile) and record how it ended. */
static void finish(struct sup *s)
{
	for (int polls = 0; !s->reaped; polls++) {
		struct pollfd p = {.fd = sig_pipe[0], .events = POLLIN};
		/* its pipes are closed: it is exiting (look again soon), or closed them itself */
		poll(&p, 1, polls < 40 ? 5 : 100);
		if (got_signals != s->signals)
			forward_signals(s);
		reap(s);
	}
	int status = s->status;

	wipe(s);
	wb__logcap_end(s->log);
	s->r->log_lines = wb__logcap_lines(s->log);
	if (WIFSIGNALED(status)) {
		s->r->sig = WTERMSIG(status);
		s->r->exit_code = 128 + s->r->sig;
	} else {
		s->r->exit_code = WEXITSTATUS(status);
	}
	/* Our handlers stay: a Ctrl-C now must not cut short the recording of the run. */
}

int wb__child_run(const wb_child_opts *o, wb_child_result *r)
{
	struct sup *s = calloc(1, sizeof(*s));

	memset(r, 0, sizeof(*r));
	if (!s)
		return wb__oom(NULL);
	s->o = o;
	s->r = r;
	s->total = -1;
	s->start_ms = s->last_flush = s->last_tick = now_ms();
	if (wb__logcap_new(&s->log, o->db, o->run_id, o->seq, 0, 0) < 0) {
		free(s);
		return wb__oom(NULL);
	}
	if (o->worker)
		wb__logcap_set_worker(s->log, o->worker, o->worker_slot);
	if (start(s) < 0) {
		int rc = wb__error(NULL, WB_EIO, "cannot start %s: %s", o->exe, strerror(errno));
		wb__logcap_free(s->log);
		free(s);
		return rc;
	}
	loop(s);
	finish(s);
	wb__logcap_free(s->log);
	free(s);
	return 0;
}
