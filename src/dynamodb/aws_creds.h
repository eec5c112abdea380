/*
 * aws_creds.h - AWS credentials from the environment or a profile (internal).
 *
 * Resolution order, as the AWS tools do it:
 *   1. AWS_ACCESS_KEY_ID + AWS_SECRET_ACCESS_KEY (+ AWS_SESSION_TOKEN);
 *   2. the profile AWS_PROFILE (default "default") in the shared credentials
 *      file, AWS_SHARED_CREDENTIALS_FILE or else ~/.aws/credentials;
 *   3. for a local engine only (dynamodb://HOST:PORT, which checks no
 *      signature), dummy credentials.
 * Secrets are never printed, logged or put in an error message: messages
 * name the variable, file and profile only.
 */
#ifndef WB_AWS_CREDS_H
#define WB_AWS_CREDS_H

/** Resolved credentials; every string is malloc'ed, freed by wb__aws_creds_clear. */
struct wb__aws_creds {
	char *access_key;    /**< access key id */
	char *secret_key;    /**< secret access key */
	char *session_token; /**< session token, or NULL */
	char source[1400];   /**< where they came from: "environment", "profile dev in FILE", "none (local engine)" */
};

/**
 * Fill `out` (zeroed first).  `local` allows the dummy fallback.  Returns 0,
 * WB_EINVALID when nothing usable is found (remote) or a profile is broken,
 * WB_ENOMEM.  On failure `out` holds nothing to free.
 */
int wb__aws_creds_resolve(struct wb__aws_creds *out, int local);

/** Wipe and free the strings of `c` (safe on a zeroed or cleared struct). */
void wb__aws_creds_clear(struct wb__aws_creds *c);

#endif /* WB_AWS_CREDS_H */
