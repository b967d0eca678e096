/*
 * Tests for url: am_url_host() and am_email_domain().
 *
 * Each input is copied into a heap buffer of exactly its length, with no NUL
 * after it, so that a read past the end shows up under AddressSanitizer and
 * the functions are held to the (pointer, length) contract.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "url.h"

typedef int (*extract_fn)(const char *, size_t, const char **, size_t *,
                          char *, size_t);

/* The extracted text, or "error: <reason>".  Also checks that a result is
 * borrowed from the input, as the header promises. */
static const char *run(extract_fn fn, const char *in, size_t n) {
    static char out[512];
    char err[128] = "";
    char *copy = malloc(n > 0 ? n : 1);
    const char *got = NULL;
    size_t got_len = 0;

    cr_assert_not_null(copy);
    memcpy(copy, in, n);
    if (fn(copy, n, &got, &got_len, err, sizeof(err)) == 0) {
        cr_assert(got >= copy && got + got_len <= copy + n,
                  "result for \"%s\" does not point into the input", in);
        snprintf(out, sizeof(out), "%.*s", (int)got_len, got);
    } else {
        cr_assert_neq(err[0], '\0', "no reason given for \"%s\"", in);
        snprintf(out, sizeof(out), "error: %s", err);
    }
    free(copy);
    return out;
}

static const char *host_of(const char *url) {
    return run(am_url_host, url, strlen(url));
}

static const char *domain_of(const char *addr) {
    return run(am_email_domain, addr, strlen(addr));
}

#define HOST(url, want) cr_expect_str_eq(host_of(url), want, "URL %s", url)
#define DOMAIN(addr, want)                                                    \
    cr_expect_str_eq(domain_of(addr), want, "address %s", addr)

Test(url, plain_schemes) {
    HOST("http://example.com/", "example.com");
    HOST("https://example.com", "example.com");
    HOST("ftp://files.example.com/pub/x.tar", "files.example.com");
    HOST("http://192.0.2.1/login.php", "192.0.2.1");
}

Test(url, defanged_scheme_is_just_a_scheme) {
    HOST("hxxp://example.com/a", "example.com");
    HOST("hxxps://example.com/a", "example.com");
    HOST("hXXp://example.com", "example.com");
    /* Defanged dots are the caller's problem: they stay in the host. */
    HOST("hxxp://example[.]com/", "example[.]com");
}

Test(url, uppercase_scheme_and_host_kept_as_is) {
    HOST("HTTP://Example.COM/Path", "Example.COM");
    HOST("HtTpS://WWW.EXAMPLE.COM:443", "WWW.EXAMPLE.COM");
}

Test(url, no_scheme) {
    HOST("example.com", "example.com");
    HOST("example.com/path/to?q=1", "example.com");
    HOST("www.example.com.", "www.example.com.");
    HOST("//example.com/path", "example.com");
}

Test(url, no_scheme_with_port) {
    HOST("example.com:8080", "example.com");
    HOST("example.com:8080/path", "example.com");
    HOST("localhost:80", "localhost");
    HOST("192.0.2.1:8443/x", "192.0.2.1");
}

Test(url, ports) {
    HOST("http://example.com:8080/", "example.com");
    HOST("http://example.com:0", "example.com");
    HOST("http://example.com:65535?x", "example.com");
    /* An empty port is allowed by RFC 3986 and by browsers. */
    HOST("http://example.com:/", "example.com");
}

Test(url, bad_port_is_an_error) {
    HOST("http://example.com:http/", "error: bad port in URL");
    HOST("http://example.com:80a", "error: bad port in URL");
    /* Without "//" this is not a scheme, and "host" is no port. */
    HOST("http:host", "error: bad port in URL");
}

Test(url, user_info) {
    HOST("http://user@example.com/", "example.com");
    HOST("http://user:secret@example.com:8080/", "example.com");
    HOST("ftp://anonymous:@ftp.example.com", "ftp.example.com");
    HOST("user:pw@example.com", "example.com");
}

Test(url, user_info_with_at_in_password) {
    HOST("http://user:p@ss@example.com/", "example.com");
    HOST("http://a@b@c@example.com:81/x", "example.com");
    /* The classic spoof: the host is what follows the last '@'. */
    HOST("http://www.bank.example@evil.example/login", "evil.example");
}

Test(url, at_sign_after_the_host_is_not_user_info) {
    HOST("http://example.com/?a=b@c", "example.com");
    HOST("http://example.com?a=b@c", "example.com");
    HOST("http://example.com/path@x", "example.com");
    HOST("http://example.com#frag@x", "example.com");
    HOST("http://u@example.com/?mail=a@b.example", "example.com");
}

Test(url, path_query_fragment_end_the_host) {
    HOST("http://example.com/a/b", "example.com");
    HOST("http://example.com?q", "example.com");
    HOST("http://example.com#top", "example.com");
    HOST("http://example.com?a#b/c", "example.com");
}

Test(url, backslash_ends_the_host) {
    HOST("http://example.com\\path", "example.com");
    /* Browsers go to evil.example here, not to good.example. */
    HOST("http://evil.example\\@good.example/", "evil.example");
    HOST("http:\\\\example.com\\x", "example.com");
}

Test(url, ipv6_literal) {
    HOST("http://[2001:db8::1]/", "2001:db8::1");
    HOST("http://[2001:db8::1]", "2001:db8::1");
    HOST("[::1]", "::1");
    HOST("//[::ffff:192.0.2.1]/x", "::ffff:192.0.2.1");
}

Test(url, ipv6_literal_with_port_and_user_info) {
    HOST("http://[2001:db8::1]:443/", "2001:db8::1");
    HOST("https://[2001:db8:0:0:0:0:0:1]:8443?q", "2001:db8:0:0:0:0:0:1");
    HOST("[2001:db8::2]:80", "2001:db8::2");
    HOST("http://user:pw@[2001:db8::1]:80/", "2001:db8::1");
}

Test(url, ipv6_without_brackets_is_taken_whole) {
    /* Two colons cannot be host:port. */
    HOST("2001:db8::1", "2001:db8::1");
    HOST("http://2001:db8::1/x", "2001:db8::1");
}

Test(url, broken_ipv6_literal) {
    HOST("http://[2001:db8::1/", "error: '[' without ']' in URL host");
    HOST("[::1", "error: '[' without ']' in URL host");
    HOST("http://[::1]x/", "error: text after ']' in URL host");
    HOST("http://[::1]:port/", "error: bad port in URL");
    HOST("http://[]/", "error: no host in URL");
}

Test(url, whitespace_is_trimmed) {
    HOST("  http://example.com/  ", "example.com");
    HOST("\thttp://example.com\r\n", "example.com");
    HOST(" example.com ", "example.com");
}

Test(url, empty_and_blank) {
    HOST("", "error: empty URL");
    HOST("   ", "error: empty URL");
    HOST("\t\n", "error: empty URL");
}

Test(url, only_a_scheme) {
    HOST("http://", "error: no host in URL");
    HOST("hxxp://", "error: no host in URL");
    HOST("http:", "error: no host in URL");
    HOST("https://  ", "error: no host in URL");
    HOST("//", "error: no host in URL");
}

Test(url, no_host) {
    HOST("http:///path", "error: no host in URL");
    HOST("file:///etc/passwd", "error: no host in URL");
    HOST("/just/a/path", "error: no host in URL");
    HOST("http://user@/", "error: no host in URL");
    HOST("http://:80/", "error: no host in URL");
    HOST("?q=1", "error: no host in URL");
}

Test(url, length_bounds_the_input) {
    const char url[] = "http://example.com.evil/";

    /* Only the first 18 bytes belong to the URL. */
    cr_expect_str_eq(run(am_url_host, url, 18), "example.com");
    cr_expect_str_eq(run(am_url_host, "http://[::1]", 11),
                     "error: '[' without ']' in URL host");
    cr_expect_str_eq(run(am_url_host, "http://", 0), "error: empty URL");
}

Test(url, email_plain) {
    DOMAIN("user@example.com", "example.com");
    DOMAIN("first.last+tag@mail.Example.ORG", "mail.Example.ORG");
    DOMAIN("  user@example.com\n", "example.com");
}

Test(url, email_last_at_wins) {
    DOMAIN("\"odd@local\"@example.com", "example.com");
    DOMAIN("a@b@example.com", "example.com");
}

Test(url, email_mailto_prefix) {
    DOMAIN("mailto:user@example.com", "example.com");
    DOMAIN("MAILTO:user@example.com", "example.com");
    DOMAIN("mailto:user@example.com?subject=hi", "example.com");
    DOMAIN("mailto:user@example.com?cc=other@elsewhere.example",
           "example.com");
}

Test(url, email_angle_brackets_and_display_name) {
    DOMAIN("<user@example.com>", "example.com");
    DOMAIN("Jane Doe <jane@example.com>", "example.com");
    DOMAIN("\"Doe, Jane\" <jane@example.com>", "example.com");
    DOMAIN("\"jane@spoof.example\" <jane@example.com>", "example.com");
    DOMAIN("Jane < jane@example.com >", "example.com");
    DOMAIN("<mailto:jane@example.com>", "example.com");
    DOMAIN("mailto:<jane@example.com>", "example.com");
}

Test(url, email_address_literal) {
    DOMAIN("user@[192.0.2.1]", "192.0.2.1");
    DOMAIN("<user@[192.0.2.1]>", "192.0.2.1");
    DOMAIN("user@[IPv6:2001:db8::1]", "2001:db8::1");
    DOMAIN("user@[192.0.2.1", "error: '[' without ']' in e-mail address "
                              "literal");
    DOMAIN("user@[]", "error: no domain after '@' in e-mail address");
}

Test(url, email_errors) {
    DOMAIN("", "error: no '@' in e-mail address");
    DOMAIN("user.example.com", "error: no '@' in e-mail address");
    DOMAIN("mailto:", "error: no '@' in e-mail address");
    DOMAIN("user@", "error: no domain after '@' in e-mail address");
    DOMAIN("user@   ", "error: no domain after '@' in e-mail address");
    DOMAIN("Jane <jane@example.com", "error: '<' without '>' in e-mail "
                                     "address");
    DOMAIN("<>", "error: no '@' in e-mail address");
}

Test(url, email_length_bounds_the_input) {
    cr_expect_str_eq(run(am_email_domain, "user@example.com.evil", 16),
                     "example.com");
    cr_expect_str_eq(run(am_email_domain, "user@example.com", 4),
                     "error: no '@' in e-mail address");
}
