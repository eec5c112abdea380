/*
 * version.c - the running library's version (wb_version, wb_version_number)
 * and those of the libraries it runs with (wb_version_info_get).
 *
 * The header's WB_VERSION_* macros say what a program was compiled against;
 * these say which libwhimbrel it runs with (they differ when an older or
 * newer libwhimbrel.so.0 is installed).  The other libraries are asked at
 * run time too (sqlite3_libversion, curl_version_info, OpenSSL_version,
 * jansson_version_str): what a bug report needs is what was loaded, not
 * what the headers said.
 */
#include <curl/curl.h>
#include <jansson.h>
#include <openssl/crypto.h>
#include <sqlite3.h>

#include "common.h"

const char *wb_version(void)
{
	return WB_VERSION_STRING;
}

int wb_version_number(void)
{
	return WB_VERSION_NUMBER;
}

/* OpenSSL's version number, "3.0.19" (its full text on an OpenSSL before 3.0). */
static const char *openssl_number(void)
{
#ifdef OPENSSL_VERSION_STRING
	return OpenSSL_version(OPENSSL_VERSION_STRING);
#else
	return OpenSSL_version(OPENSSL_VERSION);
#endif
}

int wb_version_info_get(wb_version_info *out)
{
	const curl_version_info_data *curl = curl_version_info(CURLVERSION_NOW);

	if (!out || out->version != WB_VERSION_INFO_VERSION)
		return wb__error(NULL, WB_EINVALID, "wb_version_info_get: version %u of the struct "
				 "(this library fills version %d: use WB_VERSION_INFO_INIT)",
				 out ? out->version : 0u, WB_VERSION_INFO_VERSION);
	out->whimbrel = wb_version();
	out->sqlite = sqlite3_libversion();
	out->curl = curl->version;
	out->curl_ssl = curl->ssl_version ? curl->ssl_version : "";
	out->openssl = openssl_number();
	out->jansson = jansson_version_str();
	return 0;
}
