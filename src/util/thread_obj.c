/*
 * thread_obj.c - the objects of each thread (thread_obj.h): one pthread
 * key, created once per process, whose value in a thread is the array of
 * its objects and of the functions that free them when it ends.
 */
#include <pthread.h>
#include <stdlib.h>

#include "thread_obj.h"

/* The objects of one thread. */
struct objs {
	void *obj[WB_SLOTS];           /* NULL: not made yet */
	void (*drop[WB_SLOTS])(void *); /* what frees each */
};

static pthread_once_t key_once = PTHREAD_ONCE_INIT;
static pthread_key_t key;
static int key_ok;

static void drop_all(void *arg)
{
	struct objs *o = arg;

	for (int i = 0; i < WB_SLOTS; i++)
		if (o->obj[i])
			o->drop[i](o->obj[i]);
	free(o);
}

static void key_init(void)
{
	key_ok = pthread_key_create(&key, drop_all) == 0;
}

/* This thread's objects, or NULL when out of memory. */
static struct objs *mine(void)
{
	struct objs *o;

	pthread_once(&key_once, key_init);
	if (!key_ok)
		return NULL;
	if ((o = pthread_getspecific(key)))
		return o;
	if (!(o = calloc(1, sizeof(*o))))
		return NULL;
	if (pthread_setspecific(key, o) != 0) {
		free(o);
		return NULL;
	}
	return o;
}

void *wb__thread_obj(enum wb__thread_slot slot, void *(*make)(void), void (*drop)(void *))
{
	struct objs *o = mine();

	if (!o)
		return NULL;
	if (!o->obj[slot] && (o->obj[slot] = make()))
		o->drop[slot] = drop;
	return o->obj[slot];
}
