/*
 * cmd_version.c - `whimbrel version [--json]`: the versions of whimbrel and
 * of the libraries it runs with (SQLite, libcurl and its TLS library,
 * OpenSSL, Jansson), as a bug report needs them.  The library reports them
 * (wb_version_info_get), so this file includes no header of theirs.
 */
#include <stdio.h>
#include <string.h>
#include <jansson.h>

#include "cli.h"

const char wb_cli_help_version[] =
	"usage: whimbrel version [--json]\n"
	"\n"
	"The versions of whimbrel and of the libraries it runs with, as they report\n"
	"themselves at run time: SQLite (the embedded target), libcurl and its TLS\n"
	"library (the DynamoDB HTTP API), OpenSSL (request signing) and Jansson (JSON).\n"
	"Put them in bug reports.\n"
	"\n"
	"  --json   one JSON object: {\"whimbrel\",\"sqlite\",\"libcurl\",\"libcurl_ssl\",\n"
	"           \"openssl\",\"jansson\"}\n";

static int print_json(const wb_version_info *v)
{
	return wb_cli_print_json(json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "whimbrel", v->whimbrel,
					   "sqlite", v->sqlite, "libcurl", v->curl,
					   "libcurl_ssl", v->curl_ssl, "openssl", v->openssl,
					   "jansson", v->jansson));
}

static void print_text(const wb_version_info *v)
{
	printf("whimbrel  %s\n", v->whimbrel);
	printf("SQLite    %s\n", v->sqlite);
	printf("libcurl   %s%s%s%s\n", v->curl, *v->curl_ssl ? " (" : "", v->curl_ssl,
	       *v->curl_ssl ? ")" : "");
	printf("OpenSSL   %s\n", v->openssl);
	printf("Jansson   %s\n", v->jansson);
}

int wb_cmd_version(wb_cli *cli, int argc, char **argv)
{
	wb_version_info v = WB_VERSION_INFO_INIT;
	int json = 0;

	(void)cli;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0)
			json = 1;
		else if (argv[i][0] == '-')
			return wb_cli_usage("version", "unknown option '%s'", argv[i]);
		else
			return wb_cli_usage("version", "unexpected argument '%s'", argv[i]);
	}
	if (wb_version_info_get(&v) < 0)
		return wb_cli_fail("version: %s", wb_error_last());
	if (json)
		return print_json(&v);
	print_text(&v);
	return WB_EXIT_OK;
}
