/*
 * simdjson_parse: the C side of bench_decode's simdjson baseline (C++17,
 * simdjson On-Demand).  bench_decode walks the same documents with jansson
 * the same way, so the two figures compare parsers, not walks.
 */
#ifndef AM_BENCH_SIMDJSON_PARSE_H
#define AM_BENCH_SIMDJSON_PARSE_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Bytes after a document that must be readable (SIMDJSON_PADDING); their
 * content does not matter. */
#define AM_BENCH_SIMDJSON_PADDING 64

/**
 * @brief Parses the JSON document of \p len bytes at \p buf (followed by
 *        AM_BENCH_SIMDJSON_PADDING readable bytes) and walks all of it:
 *        every key and string is unescaped, every number converted, every
 *        array and object iterated, as a decoder reading each field would.
 *        \p str_bytes (may be NULL) is increased by the length of every
 *        key and string.
 * @returns the number of values (the root, object members, array
 *          elements), or -1 when the text is not one valid JSON document.
 * @locality one thread (a parser kept across calls).
 */
long am_bench_simdjson_count(const char *buf, size_t len, size_t *str_bytes);

#ifdef __cplusplus
}
#endif

#endif
