/*
 * Tests for classify: the shipped tables (data/classification.json and the
 * advice files) map every source's vocabulary as documented, advice falls
 * back as documented, and broken tables are refused with the file and the
 * key at fault.
 *
 * Load-error cases write variants of the shipped files (one member
 * changed) into a fresh temporary directory, so they follow the real data.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "classify.h"
#include "event.h"

static am_classify_t *cl;
static am_event_t ev;
static char err[1024];

static void setup(void) {
    am_event_init(&ev);
    err[0] = '\0';
    cl = am_classify_load(NULL, err, sizeof(err));
    cr_assert_not_null(cl, "shipped tables: %s", err);
}

static void teardown(void) {
    am_classify_destroy(cl);
    am_event_free(&ev);
}

TestSuite(classify, .init = setup, .fini = teardown);

/* "" means absent (NULL). */
static const char *nz(const char *s) {
    return *s ? s : NULL;
}

/* NULL prints as "" so that expectations read as data. */
static const char *str(const char *s) {
    return s ? s : "";
}

/* ---- the mapping table --------------------------------------------------- */

struct map_case {
    /* what the event says */
    char type[40];
    char taxonomy[32];
    char report_type[48];
    char category[64];
    char kind[12]; /* "scan" or "indicator" */
    /* what classify fills in */
    char want_taxonomy[32];
    char want_type[40];
    char want_n6[24];
    char want_severity[12];
    char want_identifier[48];
};

ParameterizedTestParameters(classify, mapping) {
    static struct map_case cases[] = {
        /* Shadowserver report types: the table. */
        {"", "", "scan_rdp", "", "scan", "vulnerable", "vulnerable-system",
         "vulnerable", "high", "accessible-rdp"},
        {"", "", "scan_http_vulnerable", "", "scan", "vulnerable",
         "vulnerable-system", "vulnerable", "critical", "vulnerable-http"},
        {"", "", "scan_telnet", "", "scan", "vulnerable", "vulnerable-system",
         "vulnerable", "medium", "accessible-telnet"},
        {"", "", "scan_ntp", "", "scan", "vulnerable", "vulnerable-system",
         "amplifier", "medium", "ntp-version"},
        {"", "", "scan_ssh", "", "scan", "vulnerable",
         "potentially-unwanted-accessible", "vulnerable", "low",
         "accessible-ssh"},
        {"", "", "scan_ssl_freak", "", "scan", "vulnerable", "weak-crypto",
         "vulnerable", "low", "ssl-freak-vulnerable-servers"},
        {"", "", "scan_http_proxy", "", "scan", "vulnerable",
         "vulnerable-system", "proxy", "medium", "open-http-proxy"},
        {"", "", "event4_sinkhole_http", "", "scan", "malicious-code",
         "infected-system", "bots", "high", "sinkhole-events-http"},
        {"", "", "event4_honeypot_brute_force", "", "scan",
         "intrusion-attempts", "brute-force", "scanning", "medium",
         "honeypot-brute-force-events"},
        {"", "", "blocklist", "", "scan", "other", "blocklist", "other", "low",
         "blocklist"},
        {"", "", "device_id", "", "scan", "other", "undetermined", "other",
         "info", "device-identification"},
        {"", "", "malware_url", "", "scan", "malicious-code",
         "malware-distribution", "malurl", "high", "malware-url"},
        {"", "", "spam_url", "", "scan", "abusive-content", "spam", "spam-url",
         "medium", "spam-url"},
        /* IPv6 reports: their IPv4 twin. */
        {"", "", "scan6_rdp", "", "scan", "vulnerable", "vulnerable-system",
         "vulnerable", "high", "accessible-rdp"},
        {"", "", "event6_sinkhole_http", "", "scan", "malicious-code",
         "infected-system", "bots", "high", "sinkhole-events-http"},
        {"", "", "device_id6", "", "scan", "other", "undetermined", "other",
         "info", "device-identification"},
        /* Case and blanks do not matter. */
        {"", "", " SCAN_RDP ", "", "scan", "vulnerable", "vulnerable-system",
         "vulnerable", "high", "accessible-rdp"},
        /* Report types the table does not list: the family rules. */
        {"", "", "scan_newthing_vulnerable", "", "scan", "vulnerable",
         "vulnerable-system", "vulnerable", "medium", ""},
        {"", "", "scan_newthing", "", "scan", "vulnerable",
         "potentially-unwanted-accessible", "vulnerable", "low", ""},
        {"", "", "scan6_newthing", "", "scan", "vulnerable",
         "potentially-unwanted-accessible", "vulnerable", "low", ""},
        {"", "", "event4_sinkhole_newkind", "", "scan", "malicious-code",
         "infected-system", "bots", "high", ""},
        {"", "", "event4_honeypot_newproto_scan", "", "scan",
         "information-gathering", "scanner", "scanning", "low", ""},
        {"", "", "compromised_router", "", "scan", "intrusions",
         "system-compromise", "backdoor", "critical", ""},
        /* A report type nobody knows: the default for a scan. */
        {"", "", "weekly_digest", "", "scan", "vulnerable",
         "potentially-unwanted-accessible", "vulnerable", "low", ""},
        /* Free categories of native events. */
        {"", "", "", "c2", "indicator", "malicious-code", "c2-server", "cnc",
         "high", ""},
        {"", "", "", "botnet_cc", "indicator", "malicious-code", "c2-server",
         "cnc", "high", ""},
        {"", "", "", "malware_download", "indicator", "malicious-code",
         "malware-distribution", "malurl", "high", ""},
        {"", "", "", "Phishing", "indicator", "fraud", "phishing", "phish",
         "high", ""},
        {"", "", "", "botnet", "indicator", "malicious-code",
         "infected-system", "bots", "high", ""},
        {"", "", "", "scanner", "indicator", "information-gathering",
         "scanner", "scanning", "low", ""},
        {"", "", "", "brute force", "indicator", "intrusion-attempts",
         "brute-force", "scanning", "medium", ""},
        {"", "", "", "spam", "indicator", "abusive-content", "spam", "spam",
         "medium", ""},
        {"", "", "", "amplifier", "scan", "vulnerable", "ddos-amplifier",
         "amplifier", "medium", ""},
        {"", "", "", "tor", "indicator", "other", "tor", "tor", "info", ""},
        {"", "", "", "malware", "indicator", "other", "malware", "other",
         "high", ""},
        /* STIX indicator_types: a specific word beats a generic one. */
        {"", "", "", "malicious-activity", "indicator", "other",
         "undetermined", "other", "medium", ""},
        {"", "", "", "anomalous-activity", "indicator", "other",
         "undetermined", "other", "low", ""},
        {"", "", "", "malicious-activity,compromised", "indicator",
         "intrusions", "system-compromise", "backdoor", "critical", ""},
        {"", "", "", "malicious-activity; c2", "indicator", "malicious-code",
         "c2-server", "cnc", "high", ""},
        {"", "", "", "anonymization", "indicator", "other", "proxy", "proxy",
         "low", ""},
        {"", "", "", "benign", "indicator", "other", "other", "other", "info",
         ""},
        /* Words nobody knows, or nothing at all: the kind's default. */
        {"", "", "", "no-such-word", "indicator", "other", "undetermined",
         "other", "medium", ""},
        {"", "", "", "", "indicator", "other", "undetermined", "other",
         "medium", ""},
        {"", "", "", "", "scan", "vulnerable",
         "potentially-unwanted-accessible", "vulnerable", "low", ""},
        /* The report type comes before the category. */
        {"", "", "scan_rdp", "phishing", "scan", "vulnerable",
         "vulnerable-system", "vulnerable", "high", "accessible-rdp"},
        /* IntelMQ classification: kept, the rest derived. */
        {"infected-system", "malicious-code", "", "", "indicator",
         "malicious-code", "infected-system", "bots", "high", ""},
        {"vulnerable-system", "", "", "", "scan", "vulnerable",
         "vulnerable-system", "vulnerable", "medium", ""},
        {"ddos-amplifier", "vulnerable", "", "", "scan", "vulnerable",
         "ddos-amplifier", "amplifier", "medium", ""},
        {"phishing", "fraud", "", "c2", "indicator", "fraud", "phishing",
         "phish", "high", ""},
        /* Older IntelMQ vocabulary: the type stays, the rest follows the
         * current type it stands for. */
        {"botnet drone", "", "", "", "indicator", "malicious-code",
         "botnet drone", "bots", "high", ""},
        {"blacklist", "", "", "", "indicator", "other", "blacklist", "other",
         "low", ""},
        {"vulnerable service", "", "", "", "scan", "vulnerable",
         "vulnerable service", "vulnerable", "medium", ""},
        /* A type nobody knows stays as given, with the defaults of
         * "unknown"; a taxonomy given is kept. */
        {"made-up", "", "", "", "indicator", "other", "made-up", "other",
         "low", ""},
        {"made-up", "intrusions", "", "", "indicator", "intrusions",
         "made-up", "other", "low", ""},
        /* A taxonomy alone: its default type. */
        {"", "vulnerable", "", "", "scan", "vulnerable", "vulnerable-system",
         "vulnerable", "medium", ""},
        {"", "malicious-code", "", "", "indicator", "malicious-code",
         "infected-system", "bots", "high", ""},
        {"", "no-such-taxonomy", "", "", "indicator", "no-such-taxonomy",
         "unknown", "other", "low", ""},
    };
    return cr_make_param_array(struct map_case, cases,
                               sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct map_case *c, classify, mapping) {
    ev.type = nz(c->type);
    ev.taxonomy = nz(c->taxonomy);
    ev.report_type = nz(c->report_type);
    ev.category = nz(c->category);
    ev.kind = strcmp(c->kind, "scan") == 0 ? AM_EVENT_SCAN : AM_EVENT_INDICATOR;
    am_classify_event(cl, &ev);
    cr_assert_str_eq(str(ev.taxonomy), c->want_taxonomy, "%s|%s|%s|%s",
                     c->type, c->taxonomy, c->report_type, c->category);
    cr_assert_str_eq(str(ev.type), c->want_type, "%s|%s|%s|%s", c->type,
                     c->taxonomy, c->report_type, c->category);
    cr_assert_str_eq(str(ev.n6_category), c->want_n6, "%s|%s|%s|%s", c->type,
                     c->taxonomy, c->report_type, c->category);
    cr_assert_str_eq(str(ev.severity), c->want_severity, "%s|%s|%s|%s",
                     c->type, c->taxonomy, c->report_type, c->category);
    cr_assert_str_eq(str(ev.identifier), c->want_identifier, "%s|%s|%s|%s",
                     c->type, c->taxonomy, c->report_type, c->category);
}

/* What the source said is never overwritten. */
Test(classify, keeps_what_the_event_says) {
    ev.kind = AM_EVENT_SCAN;
    ev.report_type = "event4_sinkhole_http";
    ev.identifier = "andromeda";
    ev.severity = "medium";
    ev.n6_category = "sinkhole";
    am_classify_event(cl, &ev);
    cr_assert_str_eq(ev.identifier, "andromeda");
    cr_assert_str_eq(ev.severity, "medium");
    cr_assert_str_eq(ev.n6_category, "sinkhole");
    cr_assert_str_eq(ev.type, "infected-system");
    cr_assert_str_eq(ev.taxonomy, "malicious-code");
}

/* Classifying twice gives the same answer (a replayed event). */
Test(classify, idempotent) {
    ev.kind = AM_EVENT_INDICATOR;
    ev.category = "botnet_cc";
    am_classify_event(cl, &ev);
    am_classify_event(cl, &ev);
    cr_assert_str_eq(ev.type, "c2-server");
    cr_assert_str_eq(ev.n6_category, "cnc");
}

/* ---- advice -------------------------------------------------------------- */

Test(classify, advice_per_language) {
    const char *en = am_classify_advice(cl, "infected-system", "en");
    const char *nl = am_classify_advice(cl, "infected-system", "nl");

    cr_assert(strstr(en, "infected"), "%s", en);
    cr_assert(strstr(nl, "besmet"), "%s", nl);
    cr_assert_str_neq(en, nl);
    /* Region tags and case select the language. */
    cr_assert_eq(am_classify_advice(cl, "infected-system", "nl-NL"), nl);
    cr_assert_eq(am_classify_advice(cl, "infected-system", "NL"), nl);
    cr_assert_eq(am_classify_advice(cl, "infected-system", "nl_BE"), nl);
}

/* The type of a classified event is the table's own name: its advice is
 * the advice of that name, in every language and through the fallbacks. */
Test(classify, advice_of_a_classified_event_is_its_types) {
    static const char *const cats[] = {"botnet_cc", "phishing", "spam",
                                       "scanner", "malware-distribution",
                                       "compromised", "ddos"};
    static const char *const langs[] = {"en", "nl", "de", ""};

    for (size_t i = 0; i < sizeof(cats) / sizeof(cats[0]); i++) {
        char name[64];
        am_event_reset(&ev);
        ev.kind = AM_EVENT_INDICATOR;
        ev.category = cats[i];
        am_classify_event(cl, &ev);
        cr_assert_not_null(ev.type, "%s", cats[i]);
        snprintf(name, sizeof(name), "%s", ev.type);
        for (size_t l = 0; l < sizeof(langs) / sizeof(langs[0]); l++)
            cr_assert_eq(am_classify_advice(cl, ev.type, langs[l]),
                         am_classify_advice(cl, name, langs[l]), "%s/%s",
                         name, langs[l]);
    }
}

struct advice_case {
    char type[40];
    char lang[8];
    char same_as_type[40];
    char same_as_lang[8];
};

ParameterizedTestParameters(classify, advice_fallbacks) {
    static struct advice_case cases[] = {
        /* A language we have no advice in: English. */
        {"phishing", "de", "phishing", "en"},
        {"phishing", "", "phishing", "en"},
        /* A type nobody knows, or none: "unknown". */
        {"made-up", "nl", "unknown", "nl"},
        {"", "nl", "unknown", "nl"},
        {"made-up", "de", "unknown", "en"},
        /* An older name: the advice of the type it stands for. */
        {"botnet drone", "nl", "infected-system", "nl"},
        {"Vulnerable_System", "en", "vulnerable-system", "en"},
    };
    return cr_make_param_array(struct advice_case, cases,
                               sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct advice_case *c, classify, advice_fallbacks) {
    const char *got = am_classify_advice(cl, nz(c->type), nz(c->lang));
    const char *want = am_classify_advice(cl, c->same_as_type, c->same_as_lang);

    cr_assert_not_null(got);
    cr_assert_eq(got, want, "%s/%s: %s", c->type, c->lang, got);
}

/* Every type of the table has its own advice, in English and in Dutch,
 * between two and four sentences long. */
Test(classify, every_type_has_advice) {
    json_error_t je;
    json_t *root = json_load_file(AM_DATA_DIR "/classification.json", 0, &je);
    json_t *types = json_object_get(root, "types"), *v;
    const char *type, *unknown_en = am_classify_advice(cl, "unknown", "en"),
                      *unknown_nl = am_classify_advice(cl, "unknown", "nl");
    size_t n = 0;

    cr_assert_not_null(root, "%s", je.text);
    json_object_foreach(types, type, v) {
        const char *en = am_classify_advice(cl, type, "en");
        const char *nl = am_classify_advice(cl, type, "nl");
        size_t dots_en = 0, dots_nl = 0;
        for (const char *p = en; *p; p++)
            dots_en += (*p == '.' || *p == '!' || *p == '?') &&
                       (p[1] == ' ' || p[1] == '\0');
        for (const char *p = nl; *p; p++)
            dots_nl += (*p == '.' || *p == '!' || *p == '?') &&
                       (p[1] == ' ' || p[1] == '\0');
        cr_assert(strcmp(type, "unknown") == 0 ||
                      (en != unknown_en && nl != unknown_nl),
                  "%s falls back to unknown", type);
        cr_assert_str_neq(en, nl, "%s", type);
        cr_assert(dots_en >= 1 && dots_en <= 4, "%s en: %zu sentences", type,
                  dots_en);
        cr_assert(dots_nl >= 1 && dots_nl <= 4, "%s nl: %zu sentences", type,
                  dots_nl);
        n++;
    }
    cr_assert_geq(n, 40);
    json_decref(root);
}

/* ---- load errors --------------------------------------------------------- */

static char tmpdir[64];

static void tmp_setup(void) {
    snprintf(tmpdir, sizeof(tmpdir), "/tmp/am-classify-XXXXXX");
    cr_assert_not_null(mkdtemp(tmpdir));
    err[0] = '\0';
}

/* Removes what the tests may have written into tmpdir, and tmpdir. */
static void tmp_teardown(void) {
    static const char *const files[] = {
        "classification.json", "advice/en.json", "advice/nl.json",
        "advice/fy.json",      "advice",
    };
    char path[512];

    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        snprintf(path, sizeof(path), "%s/%s", tmpdir, files[i]);
        remove(path);
    }
    cr_assert_eq(rmdir(tmpdir), 0, "%s is not empty", tmpdir);
}

TestSuite(classify_load, .init = tmp_setup, .fini = tmp_teardown);

static json_t *load_shipped(const char *rel) {
    char path[512];
    json_error_t je;
    json_t *root;

    snprintf(path, sizeof(path), "%s/%s", AM_DATA_DIR, rel);
    root = json_load_file(path, JSON_PRESERVE_ORDER, &je);
    cr_assert_not_null(root, "%s: %s", path, je.text);
    return root;
}

static void write_json(const char *rel, json_t *root) {
    char path[512];

    snprintf(path, sizeof(path), "%s/%s", tmpdir, rel);
    cr_assert_eq(json_dump_file(root, path, JSON_INDENT(1) |
                                                JSON_PRESERVE_ORDER),
                 0, "%s", path);
    json_decref(root);
}

static void write_text(const char *rel, const char *text) {
    char path[512];
    FILE *f;

    snprintf(path, sizeof(path), "%s/%s", tmpdir, rel);
    f = fopen(path, "w");
    cr_assert_not_null(f, "%s", path);
    fputs(text, f);
    fclose(f);
}

/* Copies of the shipped files into tmpdir; returns the copy of the
 * classification for a test to change before write_json(). */
static json_t *copy_shipped(void) {
    char adv[128];

    snprintf(adv, sizeof(adv), "%s/advice", tmpdir);
    cr_assert_eq(mkdir(adv, 0700), 0);
    write_json("advice/en.json", load_shipped("advice/en.json"));
    write_json("advice/nl.json", load_shipped("advice/nl.json"));
    return load_shipped("classification.json");
}

static am_classify_t *load_tmp(void) {
    char path[512];

    snprintf(path, sizeof(path), "%s/classification.json", tmpdir);
    return am_classify_load(path, err, sizeof(err));
}

/* err, with the temporary directory written as "DIR". */
static const char *err_rel(void) {
    static char out[1024];
    size_t n = strlen(tmpdir), o = 0;
    const char *p = err, *at;

    cr_assert_not_null(strstr(err, tmpdir), "the error names no file: %s",
                       err);
    while ((at = strstr(p, tmpdir))) {
        o += (size_t)snprintf(out + o, sizeof(out) - o, "%.*sDIR",
                              (int)(at - p), p);
        p = at + n;
    }
    snprintf(out + o, sizeof(out) - o, "%s", p);
    return out;
}

Test(classify_load, copy_of_shipped_loads) {
    am_classify_t *c;

    write_json("classification.json", copy_shipped());
    c = load_tmp();
    cr_assert_not_null(c, "%s", err);
    am_classify_destroy(c);
}

Test(classify_load, missing_file) {
    cr_assert_null(load_tmp());
    cr_assert_str_eq(err_rel(), "DIR/classification.json: unable to open "
                                "DIR/classification.json: No such file or "
                                "directory");
}

Test(classify_load, invalid_json_names_the_line) {
    write_text("classification.json", "{\n  \"types\": {\n    \"spam\": ,\n");
    cr_assert_null(load_tmp());
    cr_assert_str_eq(err_rel(), "DIR/classification.json: line 3: unexpected "
                                "token near ','");
}

Test(classify_load, not_an_object) {
    write_text("classification.json", "[1, 2]\n");
    cr_assert_null(load_tmp());
    cr_assert_str_eq(err_rel(), "DIR/classification.json: not a JSON object");
}

struct bad_case {
    char path[96];   /* member to change: "types/spam/n6" */
    char value[64];  /* its new JSON value; "" deletes it */
    char want[200];  /* the error, after "DIR/classification.json: " */
};

ParameterizedTestParameters(classify_load, bad_tables) {
    static struct bad_case cases[] = {
        {"types", "", "'types': missing"},
        {"types/spam/n6", "\"spamx\"",
         "'types.spam.n6': unknown n6 category 'spamx'"},
        {"types/spam/severity", "\"urgent\"",
         "'types.spam.severity': unknown severity 'urgent'"},
        {"types/spam/taxonomy", "", "'types.spam': needs taxonomy, n6 and "
                                    "severity"},
        {"types/Spam_Mail", "{}", "'types.Spam_Mail': a type is written in "
                                  "lower case with '-', like 'c2-server'"},
        {"types/unknown", "", "'types.unknown': missing (the type of what no "
                              "table knows)"},
        {"categories/c2/type", "\"c2server\"",
         "'categories.c2.type': 'c2server' is not a type of 'types'"},
        {"categories/c2/type", "\"botnet-drone\"",
         "'categories.c2.type': 'botnet-drone' is not a type of 'types'"},
        {"categories/c2", "\"c2-server\"",
         "'categories.c2': must be an object with a type"},
        {"categories/malicious-activity", "{\"type\": \"undetermined\"}",
         "'categories.malicious-activity': the word is in another table "
         "already"},
        {"categories/Botnet_CC", "{\"type\": \"c2-server\"}",
         "'categories.Botnet_CC': write the word in lower case with '-' for "
         "'_' and blanks, as events are looked up"},
        {"type_aliases/spam", "\"phishing\"",
         "'type_aliases.spam': is a type already"},
        {"shadowserver_reports/scan_rdp/generic", "\"yes\"",
         "'shadowserver_reports.scan_rdp.generic': must be true or false"},
        {"shadowserver_reports/Scan_RDP", "{\"type\": \"spam\"}",
         "'shadowserver_reports.Scan_RDP': write report types in lower case"},
        {"shadowserver_families", "{}",
         "'shadowserver_families': must be an array"},
        {"defaults/scan", "\"scanned\"",
         "'defaults.scan': 'scanned' is not a type of 'types'"},
        {"advice/en", "", "'advice.en': missing (English is the fallback)"},
        {"advice/EN", "\"advice/en.json\"",
         "'advice.EN': a language is a lower-case code like 'en'"},
    };
    return cr_make_param_array(struct bad_case, cases,
                               sizeof(cases) / sizeof(cases[0]));
}

/* Sets (or, for "", deletes) the member at the '/'-separated path. */
static void set_path(json_t *root, const char *path, const char *value) {
    char buf[96], *slash, *key = buf;
    json_t *obj = root;

    snprintf(buf, sizeof(buf), "%s", path);
    while ((slash = strchr(key, '/'))) {
        *slash = '\0';
        obj = json_object_get(obj, key);
        cr_assert_not_null(obj, "%s", path);
        key = slash + 1;
    }
    cr_assert_eq(*value ? json_object_set_new(obj, key, json_loads(value,
                                                  JSON_DECODE_ANY, NULL))
                        : json_object_del(obj, key),
                 0, "%s", path);
}

ParameterizedTest(struct bad_case *c, classify_load, bad_tables) {
    json_t *root = copy_shipped();
    char want[300];

    set_path(root, c->path, c->value);
    write_json("classification.json", root);
    cr_assert_null(load_tmp(), "%s", c->path);
    snprintf(want, sizeof(want), "DIR/classification.json: %s", c->want);
    cr_assert_str_eq(err_rel(), want);
}

Test(classify_load, advice_file_missing) {
    json_t *root = copy_shipped();

    set_path(root, "advice/nl", "\"advice/nl-missing.json\"");
    write_json("classification.json", root);
    cr_assert_null(load_tmp());
    cr_assert_str_eq(err_rel(), "DIR/advice/nl-missing.json: unable to open "
                                "DIR/advice/nl-missing.json: No such file or "
                                "directory");
}

Test(classify_load, advice_for_an_unknown_type) {
    json_t *en = load_shipped("advice/en.json");

    write_json("classification.json", copy_shipped());
    set_path(en, "advice/c2", "\"Text.\"");
    write_json("advice/en.json", en);
    cr_assert_null(load_tmp());
    cr_assert_str_eq(err_rel(), "DIR/advice/en.json: 'advice.c2': 'c2' is not "
                                "a type of DIR/classification.json");
}

Test(classify_load, english_advice_must_cover_every_type) {
    json_t *en = load_shipped("advice/en.json");

    write_json("classification.json", copy_shipped());
    set_path(en, "advice/weak-crypto", "");
    write_json("advice/en.json", en);
    cr_assert_null(load_tmp());
    cr_assert_str_eq(err_rel(), "DIR/advice/en.json: 'advice.weak-crypto': "
                                "missing (English advice covers every type)");
}

Test(classify_load, advice_text_must_not_be_empty) {
    json_t *nl = load_shipped("advice/nl.json");

    write_json("classification.json", copy_shipped());
    set_path(nl, "advice/spam", "\"\"");
    write_json("advice/nl.json", nl);
    cr_assert_null(load_tmp());
    cr_assert_str_eq(err_rel(), "DIR/advice/nl.json: 'advice.spam': must be a "
                                "non-empty text");
}

/* A language with partial advice: its "unknown" first, then English. */
Test(classify_load, partial_language_falls_back) {
    json_t *root = copy_shipped();
    am_classify_t *c;

    set_path(root, "advice/fy", "\"advice/fy.json\"");
    write_json("classification.json", root);
    write_text("advice/fy.json",
               "{\"advice\": {\"phishing\": \"Phishing, yn it Frysk.\"}}");
    c = load_tmp();
    cr_assert_not_null(c, "%s", err);
    cr_assert_str_eq(am_classify_advice(c, "phishing", "fy"),
                     "Phishing, yn it Frysk.");
    /* No "unknown" in fy: the English advice for the type. */
    cr_assert_eq(am_classify_advice(c, "spam", "fy"),
                 am_classify_advice(c, "spam", "en"));
    am_classify_destroy(c);

    write_text("advice/fy.json",
               "{\"advice\": {\"unknown\": \"Net bekend.\"}}");
    c = load_tmp();
    cr_assert_not_null(c, "%s", err);
    cr_assert_str_eq(am_classify_advice(c, "spam", "fy"), "Net bekend.");
    am_classify_destroy(c);
}
