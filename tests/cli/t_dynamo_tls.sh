#!/usr/bin/env bash
# t_dynamo_tls.sh - dynamodbs:// (HTTPS) end to end: a dynalite of its own
# serving TLS with a certificate made here for 127.0.0.1, trusted through
# AWS_CA_BUNDLE as the AWS SDKs do; without it the certificate is refused
# at once (no retries) with a message saying so; credentials are required
# for dynamodbs:// and never appear in output.  Skipped (ok 1 - t_dynamo_tls # SKIP)
# when WB_TEST_DYNAMODB_URL is unset or openssl is missing.
. "$(dirname "$0")/lib.sh"
if [ -z "${WB_TEST_DYNAMODB_URL:-}" ] || ! command -v openssl >/dev/null; then
	skip_all "needs dynalite (WB_TEST_DYNAMODB_URL) and openssl"
fi
DYN=$WB_ROOT/scripts/dynalite.sh
trap '"$DYN" stop "$T/d"; rm -rf "$T"' EXIT
openssl req -x509 -newkey rsa:2048 -nodes -keyout key.pem -out cert.pem -days 2 -subj /CN=127.0.0.1 \
	-addext "subjectAltName=IP:127.0.0.1,DNS:localhost" >/dev/null 2>&1
URL=$(WB_DYNALITE_TLS_CERT=$T/cert.pem WB_DYNALITE_TLS_KEY=$T/key.pem "$DYN" start "$T/d")
has "TLS dynalite: a dynamodbs URL" "$URL" "dynamodbs://127.0.0.1:"
SECRET=tls-secret-never-shown
W() { env AWS_ACCESS_KEY_ID=AKIDTLS AWS_SECRET_ACCESS_KEY=$SECRET "$WHIMBREL" --db "$URL" "$@"; }

run W table create tls_items --pk id
has "without AWS_CA_BUNDLE: the certificate is refused" "$err" "certificate"
is "without AWS_CA_BUNDLE: exit 1" "$rc" 1
ok "and not retried (one line, no 'gave up')" '! printf "%s" "$err" | grep -q "gave up"'
export AWS_CA_BUNDLE=$T/cert.pem
run W table create tls_items --pk id
is "over TLS: create a table" "$rc" 0
run W item put tls_items '{"id":{"S":"a"},"n":{"N":"1"},"b":{"B":"AAEC"}}'
is "over TLS: put" "$rc" 0
run W item get tls_items '{"id":"a"}'
is "over TLS: get gives the item back" "$out" '{"id":{"S":"a"},"n":{"N":"1"},"b":{"B":"AAEC"}}'
run env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY HOME="$T" "$WHIMBREL" --db "$URL" item get tls_items '{"id":"a"}'
has "dynamodbs:// without credentials: says how to set them" "$err" "AWS_ACCESS_KEY_ID"
run env AWS_SECRET_ACCESS_KEY=$SECRET HOME="$T" "$WHIMBREL" --db "$URL" item get tls_items '{"id":"a"}'
ok "half a key pair: an error that never shows the secret" '[ "$rc" -ne 0 ] && ! printf "%s%s" "$out" "$err" | grep -q "$SECRET"'
echo "1..$n"
