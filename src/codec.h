/*
 * codec.h - compact binary encodings of items and keys (internal API).
 *
 * The embedded backend stores each item as one BLOB in this encoding, so
 * that reading, changing and writing back an item on the migration hot path
 * costs a single pass each way (no JSON).  Key values are stored in a
 * second encoding whose bytes sort (memcmp) in DynamoDB's order: S by UTF-8
 * bytes, B by bytes, N by numeric value.  Implemented in codec.c.
 */
#ifndef WB_CODEC_H
#define WB_CODEC_H

#include <stddef.h>
#include "whimbrel.h"
#include "buf.h"

/** Append the binary encoding of `item` to `out`. */
int wb__item_encode(wb_buf *out, const wb_item *item);
/** Decode an item (caller frees); WB_EINVALID with a message if the bytes are corrupt. */
int wb__item_decode(wb_item **out, const void *data, size_t len);
/**
 * The same for bytes a store wrote itself (items are validated before they
 * are stored): its S and N values come out marked checked (item.h), so that
 * writing the item back does not validate them again.
 */
int wb__item_decode_stored(wb_item **out, const void *data, size_t len);

/** Append the order-preserving encoding of a key value (S, N or B) to `out`. */
int wb__key_encode(wb_buf *out, const wb_value *v);
/** Decode a key value of type `t` from its order-preserving encoding. */
int wb__key_decode(wb_value **out, wb_type t, const void *data, size_t len);

#endif /* WB_CODEC_H */
