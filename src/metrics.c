#include "metrics.h"

#include <string.h>

#include "inventory.h"

/* Upper bounds of the latency buckets, in milliseconds. */
static const double bucket_ms[AM_METRICS_LATENCY_BUCKETS] = {
    1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000};

#define LOAD(x) atomic_load_explicit(&(x), memory_order_relaxed)

void am_metrics_init(am_metrics_t *m, const char *indicators,
                     const char *scan_results) {
    memset(m, 0, sizeof(*m));
    m->topic_names[0] = indicators;
    m->topic_names[1] = scan_results;
}

void am_metrics_latency(am_metrics_t *m, uint64_t us) {
    for (int i = 0; i < AM_METRICS_LATENCY_BUCKETS; i++)
        if ((double)us <= bucket_ms[i] * 1000) {
            atomic_fetch_add_explicit(&m->latency_le[i], 1,
                                      memory_order_relaxed);
            break;
        }
    atomic_fetch_add_explicit(&m->latency_count, 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&m->latency_sum_us, us, memory_order_relaxed);
}

const char *am_dlq_reason_name(am_dlq_reason_t r) {
    static const char *const names[] = {"invalid", "no_observable",
                                        "too_large", "partial"};
    return r < AM_DLQ__COUNT ? names[r] : "?";
}

static void head(am_buf_t *b, const char *name, const char *type,
                 const char *help) {
    am_buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

void am_metrics_render(const am_metrics_t *m, am_buf_t *b) {
    static const char *const skip_names[] = {"expired", "not_matchable"};
    uint64_t cum = 0;

    head(b, "assetmatch_messages_consumed_total", "counter",
         "Input messages consumed, by topic and detected format.");
    for (int t = 0; t < AM_METRICS_TOPICS; t++)
        for (int f = 1; f < AM_FORMAT__COUNT; f++)
            am_buf_printf(b,
                          "assetmatch_messages_consumed_total{topic=\"%s\","
                          "format=\"%s\"} %llu\n",
                          m->topic_names[t], am_format_name(f),
                          (unsigned long long)LOAD(m->consumed[t][f]));
    head(b, "assetmatch_events_total", "counter",
         "Events decoded (a STIX bundle holds several).");
    am_buf_printf(b, "assetmatch_events_total %llu\n",
                  (unsigned long long)LOAD(m->events));
    head(b, "assetmatch_notifications_total", "counter",
         "Notifications produced.");
    am_buf_printf(b, "assetmatch_notifications_total %llu\n",
                  (unsigned long long)LOAD(m->notifications));
    head(b, "assetmatch_dead_letters_total", "counter",
         "Messages sent to the dead-letter topic, by reason.");
    for (int r = 0; r < AM_DLQ__COUNT; r++)
        am_buf_printf(b, "assetmatch_dead_letters_total{reason=\"%s\"} %llu\n",
                      am_dlq_reason_name(r),
                      (unsigned long long)LOAD(m->dead_letters[r]));
    head(b, "assetmatch_skipped_total", "counter",
         "Parts of messages skipped, not matched, by reason.");
    for (int r = 0; r < AM_SKIP__COUNT; r++)
        am_buf_printf(b, "assetmatch_skipped_total{reason=\"%s\"} %llu\n",
                      skip_names[r], (unsigned long long)LOAD(m->skipped[r]));
    head(b, "assetmatch_matches_total", "counter",
         "Notifications by how their most specific asset matched.");
    for (int k = 0; k <= AM_MATCH_KEYWORD; k++)
        am_buf_printf(b, "assetmatch_matches_total{kind=\"%s\"} %llu\n",
                      am_match_kind_name(k),
                      (unsigned long long)LOAD(m->matches[k]));
    head(b, "assetmatch_latency_seconds", "histogram",
         "From an input message's timestamp to the acknowledgement of the "
         "last record it caused.");
    for (int i = 0; i < AM_METRICS_LATENCY_BUCKETS; i++) {
        cum += LOAD(m->latency_le[i]);
        am_buf_printf(b, "assetmatch_latency_seconds_bucket{le=\"%g\"} %llu\n",
                      bucket_ms[i] / 1000, (unsigned long long)cum);
    }
    am_buf_printf(b,
                  "assetmatch_latency_seconds_bucket{le=\"+Inf\"} %llu\n"
                  "assetmatch_latency_seconds_sum %.6f\n"
                  "assetmatch_latency_seconds_count %llu\n",
                  (unsigned long long)LOAD(m->latency_count),
                  (double)LOAD(m->latency_sum_us) / 1e6,
                  (unsigned long long)LOAD(m->latency_count));
    head(b, "assetmatch_consumer_lag", "gauge",
         "Messages behind the end of the assigned partitions.");
    am_buf_printf(b, "assetmatch_consumer_lag %lld\n", (long long)LOAD(m->lag));
    head(b, "assetmatch_assigned_partitions", "gauge",
         "Input partitions assigned to this instance.");
    am_buf_printf(b, "assetmatch_assigned_partitions %lld\n",
                  (long long)LOAD(m->assigned));
    head(b, "assetmatch_producer_queue_depth", "gauge",
         "Records waiting in the producer's queue.");
    am_buf_printf(b, "assetmatch_producer_queue_depth %lld\n",
                  (long long)LOAD(m->queue_depth));
    head(b, "assetmatch_inventory_assets", "gauge",
         "Assets in the inventory, by kind.");
    for (int k = AM_ASSET_IP; k <= AM_ASSET_ASN; k++)
        am_buf_printf(b, "assetmatch_inventory_assets{kind=\"%s\"} %lld\n",
                      am_asset_kind_name(k),
                      (long long)LOAD(m->inventory_assets[k]));
    head(b, "assetmatch_inventory_version", "gauge",
         "Version of the inventory in use (one more per rebuild).");
    am_buf_printf(b, "assetmatch_inventory_version %lld\n",
                  (long long)LOAD(m->inventory_version));
    head(b, "assetmatch_inventory_build_seconds", "gauge",
         "Time the last matcher rebuild took.");
    am_buf_printf(b, "assetmatch_inventory_build_seconds %.3f\n",
                  (double)LOAD(m->inventory_build_ms) / 1e3);
    head(b, "assetmatch_inventory_change_to_effect_seconds", "gauge",
         "Last swap: from the oldest asset change in it (record time) to "
         "the swap.");
    am_buf_printf(b, "assetmatch_inventory_change_to_effect_seconds %.3f\n",
                  (double)LOAD(m->inventory_effect_ms) / 1e3);
    head(b, "assetmatch_asset_changes_total", "counter",
         "Records of the assets topic applied.");
    am_buf_printf(b, "assetmatch_asset_changes_total %llu\n",
                  (unsigned long long)LOAD(m->asset_changes));
    head(b, "assetmatch_asset_dead_letters_total", "counter",
         "Records of the assets topic rejected to the dead-letter topic.");
    am_buf_printf(b, "assetmatch_asset_dead_letters_total %llu\n",
                  (unsigned long long)LOAD(m->asset_dead_letters));
    head(b, "assetmatch_window_indicators", "gauge",
         "Recent indicators kept for retroactive matching.");
    am_buf_printf(b, "assetmatch_window_indicators %lld\n",
                  (long long)LOAD(m->window_indicators));
    head(b, "assetmatch_window_bytes", "gauge",
         "Bytes of the window of recent indicators.");
    am_buf_printf(b, "assetmatch_window_bytes %lld\n",
                  (long long)LOAD(m->window_bytes));
    head(b, "assetmatch_retroactive_notifications_total", "counter",
         "Notifications of new assets about indicators seen before.");
    am_buf_printf(b, "assetmatch_retroactive_notifications_total %llu\n",
                  (unsigned long long)LOAD(m->retro_notifications));
}
