/*
 * thread_obj.h - an object of each thread, made on its first use and
 * freed when the thread ends (internal API; thread_obj.c).
 *
 * For what costs more to make than to use and must not be shared between
 * threads: OpenSSL's digest context (sha256.c) and HMAC context
 * (sigv4.c).  One pthread key serves every slot.
 */
#ifndef WB_THREAD_OBJ_H
#define WB_THREAD_OBJ_H

/** The objects a thread may keep, one of each. */
enum wb__thread_slot {
	WB_SLOT_SHA256 = 0, /**< EVP_MD_CTX of wb__sha256 */
	WB_SLOT_HMAC = 1,   /**< EVP_MAC_CTX of the request signer */
	WB_SLOTS = 2
};

/**
 * This thread's object of `slot`: made by make() on first use, freed by
 * drop() when the thread ends.  NULL when it could not be made (tried
 * again on the next call).
 */
void *wb__thread_obj(enum wb__thread_slot slot, void *(*make)(void), void (*drop)(void *));

#endif /* WB_THREAD_OBJ_H */
