// simdjson_parse: see simdjson_parse.h.  Error codes only (no simdjson
// exceptions escape to C); one On-Demand parser reused for every document,
// as a decoder thread would keep one.
#include "simdjson_parse.h"

#include <simdjson.h>

namespace {

namespace od = simdjson::ondemand;

static_assert(AM_BENCH_SIMDJSON_PADDING >= simdjson::SIMDJSON_PADDING,
              "padding smaller than simdjson needs");

// The numbers' sum goes here, so that converting them is not optimised out.
volatile double number_sink;

struct walk_t {
    long values = 0;
    size_t str_bytes = 0;
    double sum = 0;
};

int walk_value(od::value v, walk_t &w);

int walk_object(od::object obj, walk_t &w) {
    for (auto field : obj) {
        std::string_view key;
        if (field.unescaped_key().get(key))
            return -1;
        w.str_bytes += key.size();
        od::value v;
        if (field.value().get(v) || walk_value(v, w) < 0)
            return -1;
    }
    return 0;
}

int walk_array(od::array arr, walk_t &w) {
    for (auto el : arr) {
        od::value v;
        if (el.get(v) || walk_value(v, w) < 0)
            return -1;
    }
    return 0;
}

int walk_value(od::value v, walk_t &w) {
    od::json_type t;

    w.values++;
    if (v.type().get(t))
        return -1;
    switch (t) {
    case od::json_type::object: {
        od::object obj;
        return v.get_object().get(obj) ? -1 : walk_object(obj, w);
    }
    case od::json_type::array: {
        od::array arr;
        return v.get_array().get(arr) ? -1 : walk_array(arr, w);
    }
    case od::json_type::string: {
        std::string_view s;
        if (v.get_string().get(s))
            return -1;
        w.str_bytes += s.size();
        return 0;
    }
    case od::json_type::number: {
        od::number n;
        if (v.get_number().get(n))
            return -1;
        w.sum += n.as_double();
        return 0;
    }
    case od::json_type::boolean: {
        bool b;
        if (v.get_bool().get(b))
            return -1;
        w.sum += b;
        return 0;
    }
    case od::json_type::null: {
        bool null;
        return v.is_null().get(null) || !null ? -1 : 0;
    }
    }
    return -1;
}

int walk_document(od::parser &parser, const char *buf, size_t len,
                  walk_t &w) {
    od::document doc;
    od::value root;

    if (parser.iterate(buf, len, len + AM_BENCH_SIMDJSON_PADDING).get(doc))
        return -1;
    if (doc.get_value().get(root) || walk_value(root, w) < 0)
        return -1;
    // Trailing text after the root is an error, as it is for json_loadb()
    // (3.0 has no document::at_end(): no location left means the end).
    return doc.current_location().error() == simdjson::OUT_OF_BOUNDS ? 0
                                                                     : -1;
}

} // namespace

extern "C" long am_bench_simdjson_count(const char *buf, size_t len,
                                        size_t *str_bytes) {
    static od::parser parser;
    walk_t w;

    try {
        if (walk_document(parser, buf, len, w) < 0)
            return -1;
    } catch (...) { // std::bad_alloc: do not unwind into C
        return -1;
    }
    number_sink = w.sum;
    if (str_bytes)
        *str_bytes += w.str_bytes;
    return w.values;
}
