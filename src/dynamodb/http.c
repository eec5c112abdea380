/*
 * http.c - HTTP POST over a reused libcurl easy handle (see http.h).
 *
 * Timeouts: 5 s to connect, 60 s for a whole request, and a request that
 * moves fewer than 1 byte/s for 30 s is abandoned.  No signals (threads),
 * no "Expect: 100-continue", TCP keep-alive on, one kept-alive connection.
 * HTTPS trusts the system's certificates, or those of AWS_CA_BUNDLE.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "buf.h"
#include "common.h"
#include "http.h"

struct wb__http {
	CURL *curl;   /* the easy handle, kept between requests */
	wb_buf body;  /* response body; `oom` when it could not be stored */
};

static pthread_once_t global_once = PTHREAD_ONCE_INIT;
static CURLcode global_rc;

static void global_init(void)
{
	global_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

static size_t on_data(char *p, size_t size, size_t nmemb, void *arg)
{
	struct wb__http *h = arg;
	size_t n = size * nmemb;

	if (wb__buf_append(&h->body, p, n) < 0)
		return 0; /* makes curl fail the transfer */
	return n;
}

/* Failures that another attempt cannot mend: TLS trust and configuration. */
static int permanent(CURLcode cc)
{
	switch (cc) {
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CIPHER:
	case CURLE_SSL_ENGINE_NOTFOUND:
	case CURLE_URL_MALFORMAT:
	case CURLE_UNSUPPORTED_PROTOCOL:
		return 1;
	default:
		return 0;
	}
}

static int setup(struct wb__http *h)
{
	CURL *c = h->curl;
	const char *ca = getenv("AWS_CA_BUNDLE");

	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, 5000L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 60000L);
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, 30L);
	curl_easy_setopt(c, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(c, CURLOPT_TCP_NODELAY, 1L);
	curl_easy_setopt(c, CURLOPT_MAXCONNECTS, 1L); /* one kept-alive connection per handle */
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, h);
	curl_easy_setopt(c, CURLOPT_POST, 1L);
	/* Never follow redirects, never send credentials anywhere else. */
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	/* As the AWS SDKs do: AWS_CA_BUNDLE names the certificates to trust for HTTPS. */
	if (ca && *ca)
		curl_easy_setopt(c, CURLOPT_CAINFO, ca);
	return 0;
}

int wb__http_new(wb__http **out)
{
	struct wb__http *h;

	*out = NULL;
	pthread_once(&global_once, global_init);
	if (global_rc != CURLE_OK)
		return wb__error(NULL, WB_EIO, "libcurl initialisation failed: %s", curl_easy_strerror(global_rc));
	if (!(h = wb__calloc(1, sizeof(*h))))
		return WB_ENOMEM;
	if (!(h->curl = curl_easy_init())) {
		free(h);
		return wb__error(NULL, WB_EIO, "libcurl: cannot create a handle");
	}
	setup(h);
	*out = h;
	return 0;
}

void wb__http_free(wb__http *h)
{
	if (!h)
		return;
	curl_easy_cleanup(h->curl);
	wb__buf_free(&h->body);
	free(h);
}

int wb__http_post(wb__http *h, const char *url, const char *const *headers, size_t nheaders,
		  const char *body, size_t len, struct wb__http_response *resp, char *errbuf, size_t errsize)
{
	struct curl_slist *list = NULL, *l;
	CURLcode cc;
	int rc = 0;

	for (size_t i = 0; i < nheaders; i++) {
		if (!(l = curl_slist_append(list, headers[i]))) {
			curl_slist_free_all(list);
			return wb__oom(NULL);
		}
		list = l;
	}
	if (!(l = curl_slist_append(list, "Expect:"))) {
		curl_slist_free_all(list);
		return wb__oom(NULL);
	}
	list = l;
	wb__buf_clear(&h->body);
	curl_easy_setopt(h->curl, CURLOPT_URL, url);
	curl_easy_setopt(h->curl, CURLOPT_HTTPHEADER, list);
	curl_easy_setopt(h->curl, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(h->curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	cc = curl_easy_perform(h->curl);
	curl_easy_setopt(h->curl, CURLOPT_HTTPHEADER, NULL);
	curl_slist_free_all(list);
	if (h->body.oom) {
		rc = wb__oom(NULL);
	} else if (cc != CURLE_OK) {
		snprintf(errbuf, errsize, "%s", curl_easy_strerror(cc));
		rc = permanent(cc) ? WB_ERROR : WB_EIO;
	} else {
		curl_easy_getinfo(h->curl, CURLINFO_RESPONSE_CODE, &resp->status);
		resp->body = h->body.text ? h->body.text : "";
		resp->len = h->body.len;
	}
	return rc;
}
