#include "encode_json.h"

#include <string.h>

static void kv_opt_int(am_buf_t *b, const char *key, int v) {
    if (v < 0) {
        am_jsonw_key(b, key);
        am_buf_append(b, "null", 4);
    } else {
        am_jsonw_kv_int(b, key, v);
    }
}

static void asset_fields(am_buf_t *b, const am_inventory_t *inv,
                         const am_match_hit_t *h) {
    const am_asset_t *a = am_inventory_asset(inv, h->asset);

    am_jsonw_kv_str(b, "asset_id", am_inventory_str(inv, a->asset_id));
    am_buf_putc(b, ',');
    am_jsonw_kv_str(b, "asset_kind", am_asset_kind_name(a->kind));
    am_buf_putc(b, ',');
    am_jsonw_kv_str(b, "asset_value", am_inventory_str(inv, a->value));
    am_buf_putc(b, ',');
    am_jsonw_kv_str(b, "match_kind", am_match_kind_name(h->kind));
}

static void observable(am_buf_t *b, const am_observable_t *o) {
    am_buf_putc(b, '{');
    am_jsonw_kv_str(b, "type", am_obs_type_name(o->type));
    am_buf_putc(b, ',');
    am_jsonw_kv_str(b, "value", o->value);
    am_buf_putc(b, '}');
}

int am_encode_json(am_buf_t *b, const am_notification_t *nt) {
    const am_event_t *ev = nt->ev;
    const am_match_result_t *r = nt->result;
    const am_match_hit_t *best = &r->hits[0];
    const char *tenant = am_inventory_tenant(nt->inv, r->tenant);
    char idbuf[AM_UUID_STRLEN];
    const char *id = am_notification_id_of(nt, idbuf);

    if (!id)
        return -1;
    am_buf_putc(b, '{');
    am_jsonw_kv_str(b, "notification_id", id);
    am_buf_putc(b, ',');
    am_jsonw_kv_str(b, "tenant_id", tenant);
    am_buf_putc(b, ',');
    am_jsonw_kv_str(b, "event_id", ev->id);
    am_buf_putc(b, ',');
    am_jsonw_kv_str(b, "event_kind", am_event_kind_name(ev->kind));
    am_buf_putc(b, ',');
    am_jsonw_key(b, "observable");
    observable(b, &ev->obs[best->obs]);
    am_buf_putc(b, ',');
    asset_fields(b, nt->inv, best);

    am_buf_putc(b, ',');
    am_jsonw_kv_int(b, "matched_assets_total", (int64_t)r->n_hits);
    am_buf_putc(b, ',');
    am_jsonw_key(b, "matched_asset_ids");
    am_buf_putc(b, '[');
    for (size_t i = 0; i < am_notification_listed(r); i++) {
        const am_asset_t *a = am_inventory_asset(nt->inv, r->hits[i].asset);
        const char *aid = am_inventory_str(nt->inv, a->asset_id);
        if (i)
            am_buf_putc(b, ',');
        am_jsonw_str(b, aid, strlen(aid));
    }
    am_buf_append(b, "],", 2);
    am_jsonw_key(b, "matched_assets");
    am_buf_putc(b, '[');
    for (size_t i = 0; i < am_notification_listed(r); i++) {
        if (i)
            am_buf_putc(b, ',');
        am_buf_putc(b, '{');
        asset_fields(b, nt->inv, &r->hits[i]);
        am_buf_putc(b, ',');
        am_jsonw_key(b, "observable");
        observable(b, &ev->obs[r->hits[i].obs]);
        am_buf_putc(b, '}');
    }
    am_buf_append(b, "],", 2);

    am_jsonw_kv_str(b, "category", ev->category);
    am_buf_putc(b, ',');
    am_jsonw_kv_str(b, "severity", ev->severity);
    am_buf_putc(b, ',');
    kv_opt_int(b, "confidence", ev->confidence);
    am_buf_putc(b, ',');
    am_jsonw_kv_str(b, "source", ev->source);
    am_buf_putc(b, ',');
    am_jsonw_kv_str(b, "tlp", ev->tlp);
    am_buf_putc(b, ',');
    am_jsonw_kv_str(b, "time", ev->time);
    am_buf_putc(b, ',');
    am_jsonw_kv_str(b, "valid_until", ev->valid_until);
    am_buf_putc(b, ',');
    am_jsonw_kv_str(b, "description", ev->description);
    am_buf_putc(b, ',');
    kv_opt_int(b, "port", ev->port);
    am_buf_putc(b, ',');
    am_jsonw_kv_str(b, "protocol", ev->protocol);
    am_buf_putc(b, ',');
    am_jsonw_kv_str(b, "tag", ev->tag);
    am_buf_putc(b, ',');
    am_jsonw_kv_str(b, "feed", ev->feed);
    am_buf_putc(b, ',');
    am_jsonw_kv_str(b, "report_type", ev->report_type);
    am_buf_putc(b, ',');
    am_jsonw_kv_str(b, "name", ev->name);
    am_buf_putc(b, ',');
    am_jsonw_key(b, "cves");
    am_buf_putc(b, '[');
    for (size_t i = 0; i < ev->n_cves; i++) {
        if (i)
            am_buf_putc(b, ',');
        am_jsonw_str(b, ev->cves[i], strlen(ev->cves[i]));
    }
    am_buf_append(b, "],", 2);
    am_jsonw_key(b, "classification");
    am_buf_putc(b, '{');
    am_jsonw_kv_str(b, "taxonomy", ev->taxonomy);
    am_buf_putc(b, ',');
    am_jsonw_kv_str(b, "type", ev->type);
    am_buf_putc(b, ',');
    am_jsonw_kv_str(b, "identifier", ev->identifier);
    am_buf_putc(b, ',');
    am_jsonw_kv_str(b, "n6_category", ev->n6_category);
    am_buf_append(b, "},", 2);
    am_jsonw_key(b, "advice");
    if (nt->cl) {
        am_buf_putc(b, '{');
        am_jsonw_kv_str(b, "en", am_classify_advice(nt->cl, ev->type, "en"));
        am_buf_putc(b, ',');
        am_jsonw_kv_str(b, "nl", am_classify_advice(nt->cl, ev->type, "nl"));
        am_buf_putc(b, '}');
    } else {
        am_buf_append(b, "null", 4);
    }
    am_buf_putc(b, ',');
    /* The context is the text of a JSON object, made by the decoder. */
    am_jsonw_key(b, "context");
    if (ev->context)
        am_buf_puts(b, ev->context);
    else
        am_buf_append(b, "null", 4);
    am_buf_putc(b, ',');
    am_jsonw_kv_str(b, "match_time", nt->match_time);
    am_buf_putc(b, ',');
    am_jsonw_key(b, "retroactive");
    am_buf_puts(b, nt->retroactive ? "true," : "false,");
    am_jsonw_key(b, "origin");
    if (nt->origin) {
        am_buf_putc(b, '{');
        am_jsonw_kv_str(b, "topic", nt->origin->topic);
        am_buf_putc(b, ',');
        am_jsonw_kv_int(b, "partition", nt->origin->partition);
        am_buf_putc(b, ',');
        am_jsonw_kv_int(b, "offset", nt->origin->offset);
        am_buf_putc(b, '}');
    } else {
        am_buf_append(b, "null", 4);
    }
    am_buf_putc(b, '}');
    return b->oom ? -1 : 0;
}
