/*
 * Encodings and identifiers: MD5, ENCODE (hex, utf8, ascii, base64), TO_BYTES, FROM_BYTES,
 * INT/BIGINT/DOUBLE_FROM_BYTES, UUID, and the URL functions (URL_EXTRACT_*, URL_ENCODE_PARAM, URL_DECODE_PARAM), with the rules of
 * the Java classes ksqlDB uses: commons-codec's Hex and lenient Base64 (ENCODE), Guava's base16
 * and the MIME Base64 coder (TO_BYTES, FROM_BYTES), java.net.URI for URLs (getPath, getQuery and
 * getFragment decode %XX), URLDecoder and Guava's form-parameter escaper.
 *
 * Thread rules: no shared state (UUID draws from the calling thread's generator).
 * @locks none.
 */
#include "rules/fn.h"

#include "util.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

/* P as hex digits, lower case (commons-codec) or UPPER (Guava's base16). */
static void put_hex_case(struct sb *b, const unsigned char *p, size_t n, int upper)
{
    const char *d = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        char h[2] = {d[p[i] >> 4], d[p[i] & 15]};
        sb_put(b, h, 2);
    }
}

static void put_hex(struct sb *b, const unsigned char *p, size_t n)
{
    put_hex_case(b, p, n, 0);
}

/* MD5 (RFC 1321). */

static uint32_t rol(uint32_t x, int c)
{
    return (x << c) | (x >> (32 - c));
}

static void md5_block(uint32_t h[4], const unsigned char *blk)
{
    static const uint32_t k[64] = {
        0xd76aa478, 0xe8c7b756, 0x242070db, 0xc1bdceee, 0xf57c0faf, 0x4787c62a, 0xa8304613,
        0xfd469501, 0x698098d8, 0x8b44f7af, 0xffff5bb1, 0x895cd7be, 0x6b901122, 0xfd987193,
        0xa679438e, 0x49b40821, 0xf61e2562, 0xc040b340, 0x265e5a51, 0xe9b6c7aa, 0xd62f105d,
        0x02441453, 0xd8a1e681, 0xe7d3fbc8, 0x21e1cde6, 0xc33707d6, 0xf4d50d87, 0x455a14ed,
        0xa9e3e905, 0xfcefa3f8, 0x676f02d9, 0x8d2a4c8a, 0xfffa3942, 0x8771f681, 0x6d9d6122,
        0xfde5380c, 0xa4beea44, 0x4bdecfa9, 0xf6bb4b60, 0xbebfbc70, 0x289b7ec6, 0xeaa127fa,
        0xd4ef3085, 0x04881d05, 0xd9d4d039, 0xe6db99e5, 0x1fa27cf8, 0xc4ac5665, 0xf4292244,
        0x432aff97, 0xab9423a7, 0xfc93a039, 0x655b59c3, 0x8f0ccc92, 0xffeff47d, 0x85845dd1,
        0x6fa87e4f, 0xfe2ce6e0, 0xa3014314, 0x4e0811a1, 0xf7537e82, 0xbd3af235, 0x2ad7d2bb,
        0xeb86d391};
    static const int r[16] = {7, 12, 17, 22, 5, 9, 14, 20, 4, 11, 16, 23, 6, 10, 15, 21};
    uint32_t w[16];
    for (int i = 0; i < 16; i++) {
        w[i] = (uint32_t)blk[4 * i] | (uint32_t)blk[4 * i + 1] << 8 |
               (uint32_t)blk[4 * i + 2] << 16 | (uint32_t)blk[4 * i + 3] << 24;
    }
    uint32_t a = h[0], b = h[1], c = h[2], d = h[3];
    for (int i = 0; i < 64; i++) {
        uint32_t f;
        int g;
        if (i < 16) {
            f = (b & c) | (~b & d);
            g = i;
        } else if (i < 32) {
            f = (d & b) | (~d & c);
            g = (5 * i + 1) % 16;
        } else if (i < 48) {
            f = b ^ c ^ d;
            g = (3 * i + 5) % 16;
        } else {
            f = c ^ (b | ~d);
            g = (7 * i) % 16;
        }
        uint32_t t = d;
        d = c;
        c = b;
        b = b + rol(a + f + k[i] + w[g], r[(i / 16) * 4 + i % 4]);
        a = t;
    }
    h[0] += a;
    h[1] += b;
    h[2] += c;
    h[3] += d;
}

static void md5(const void *data, size_t len, unsigned char out[16])
{
    uint32_t h[4] = {0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476};
    const unsigned char *p = data;
    size_t i = 0;
    for (; i + 64 <= len; i += 64) {
        md5_block(h, p + i);
    }
    unsigned char tail[128] = {0};
    size_t rest = len - i;
    if (rest) {
        memcpy(tail, p + i, rest);
    }
    tail[rest] = 0x80;
    size_t tl = rest + 1 + 8 <= 64 ? 64 : 128;
    uint64_t bits = (uint64_t)len * 8;
    for (int k = 0; k < 8; k++) {
        tail[tl - 8 + (size_t)k] = (unsigned char)(bits >> (8 * k));
    }
    md5_block(h, tail);
    if (tl == 128) {
        md5_block(h, tail + 64);
    }
    for (int k = 0; k < 16; k++) {
        out[k] = (unsigned char)(h[k / 4] >> (8 * (k % 4)));
    }
}

/* MD5(s): the hex digest of the UTF-8 bytes, as DigestUtils.md5Hex. */
static void fn_md5(const struct fk_node *n, const struct fk_value *args, struct fk_ev *ev,
                   struct fk_value *out)
{
    (void)n;
    if (args[0].type == FK_T_NULL) {
        set_null(out);
        return;
    }
    unsigned char d[16];
    md5(args[0].u.s.p ? args[0].u.s.p : "", args[0].u.s.len, d);
    struct sb b = {.a = ev->a};
    sb_put(&b, "", 0);
    put_hex(&b, d, 16);
    set_str(out, b.p, b.len);
}

/* ENCODE. */

enum enc { ENC_HEX, ENC_UTF8, ENC_ASCII, ENC_BASE64 };

static int enc_of(const struct fk_value *v)
{
    static const char *const names[] = {"hex", "utf8", "ascii", "base64"};
    for (int i = 0; i < 4; i++) {
        if (ieq(v->u.s.p, v->u.s.len, names[i])) {
            return i;
        }
    }
    return -1;
}

/* Hex.decodeHex after ksqlDB's hexStrip ("0x..." and "X'...'" forms): -1 on an odd count or a
 * character that is not a hex digit. */
static int hex_decode(const char *s, size_t len, struct sb *b)
{
    int pad_zero = 0;
    if (len >= 2 && s[0] == '0' && s[1] == 'x' && !memchr(s, '\n', len) && !memchr(s, '\r', len)) {
        pad_zero = len % 2 != 0;
        s += 2;
        len -= 2;
    } else if (len >= 3 && (s[0] == 'x' || s[0] == 'X') && s[1] == '\'' && s[len - 1] == '\'') {
        s += 2;
        len -= 3;
    }
    if ((len + (size_t)pad_zero) % 2 != 0) {
        return -1;
    }
    int hi = pad_zero ? 0 : -1;
    for (size_t i = 0; i < len; i++) {
        int v = hex_val(s[i]);
        if (v < 0) {
            return -1;
        }
        if (hi < 0) {
            hi = v;
        } else {
            char c = (char)(hi << 4 | v);
            sb_put(b, &c, 1);
            hi = -1;
        }
    }
    return 0;
}

/* Base64.decodeBase64, lenient: characters outside the alphabets (standard and URL-safe) are
 * skipped, '=' ends the data, a last lone character is dropped. */
static void base64_decode(const char *s, size_t len, struct sb *b)
{
    uint32_t acc = 0;
    int bits = 0;
    for (size_t i = 0; i < len && s[i] != '='; i++) {
        char c = s[i];
        int v = c >= 'A' && c <= 'Z'   ? c - 'A'
                : c >= 'a' && c <= 'z' ? c - 'a' + 26
                : c >= '0' && c <= '9' ? c - '0' + 52
                : c == '+' || c == '-' ? 62
                : c == '/' || c == '_' ? 63
                                       : -1;
        if (v < 0) {
            continue;
        }
        acc = acc << 6 | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            char o = (char)(acc >> bits);
            sb_put(b, &o, 1);
        }
    }
}

/* Bytes read back as text: ASCII turns every byte >= 0x80 into U+FFFD; UTF-8 turns each byte
 * of a malformed sequence into U+FFFD. */
static void bytes_as_text(const char *p, size_t len, int ascii, struct sb *b)
{
    static const char repl[] = "\xef\xbf\xbd";
    for (size_t i = 0; i < len;) {
        size_t bad;
        size_t run = len - i;
        if (ascii) {
            run = 0;
            while (i + run < len && (unsigned char)p[i + run] < 0x80) {
                run++;
            }
        } else if (fk_utf8_check(p + i, len - i, &bad) != 0) {
            run = bad;
        }
        sb_put(b, p + i, run);
        i += run;
        if (i < len) {
            sb_put(b, repl, 3);
            i++;
        }
    }
}

/* String.getBytes(US_ASCII): each character outside ASCII becomes '?'. */
static void ascii_bytes(const char *s, size_t len, struct sb *b)
{
    for (size_t i = 0; i < len; i = utf8_next(s, len, i)) {
        sb_put(b, (unsigned char)s[i] < 0x80 ? s + i : "?", 1);
    }
}

static void base64_encode(const char *p, size_t len, struct sb *b)
{
    struct fk_buf tmp;
    fk_buf_init(&tmp);
    fk_base64_put(&tmp, p, len);
    sb_put(b, tmp.data ? tmp.data : "", tmp.len);
    fk_buf_free(&tmp);
}

OVERLOAD_CHECK(chk_sss, FK_T_VARCHAR, "SSS")

/* ENCODE(s, from, to), from and to among hex, utf8, ascii and base64 (any case) and not equal:
 * ksqlDB throws for other pairs and for hex that does not decode. */
static void fn_encode(const struct fk_node *n, const struct fk_value *args, struct fk_ev *ev,
                      struct fk_value *out)
{
    if (any_null(args, n->nkid)) {
        set_null(out);
        return;
    }
    int from = enc_of(&args[1]), to = enc_of(&args[2]);
    if (from < 0 || to < 0 || from == to) {
        throw_null(ev, out);
        return;
    }
    const char *s = args[0].u.s.p ? args[0].u.s.p : "";
    size_t len = args[0].u.s.len;
    struct sb raw = {.a = ev->a};
    sb_put(&raw, "", 0);
    switch (from) {
    case ENC_HEX:
        if (hex_decode(s, len, &raw) != 0) {
            throw_null(ev, out);
            return;
        }
        break;
    case ENC_BASE64:
        base64_decode(s, len, &raw);
        break;
    case ENC_ASCII:
        ascii_bytes(s, len, &raw);
        break;
    default:
        sb_put(&raw, s, len);
        break;
    }
    struct sb b = {.a = ev->a};
    sb_put(&b, "", 0);
    switch (to) {
    case ENC_HEX:
        put_hex(&b, (const unsigned char *)raw.p, raw.len);
        break;
    case ENC_BASE64:
        base64_encode(raw.p, raw.len, &b);
        break;
    default:
        bytes_as_text(raw.p, raw.len, to == ENC_ASCII, &b);
        break;
    }
    set_str(out, b.p, b.len);
}

/* TO_BYTES, FROM_BYTES. */

/* ksqlDB's BytesUtils, unlike ENCODE: hex is Guava's base16 (upper case, no prefixes), base64
 * the MIME coder (a line break every 76 characters when encoding). */
static int bytes_enc(const struct fk_value *v)
{
    return v->type == FK_T_NULL ? -1 : enc_of(v);
}

OVERLOAD_CHECK(chk_to_bytes, FK_T_BYTES, "SS")

/* TO_BYTES(s, encoding): NULL s gives NULL; a NULL or unknown encoding, or text that does not
 * decode, is an error. */
static void fn_to_bytes(const struct fk_node *n, const struct fk_value *args, struct fk_ev *ev,
                        struct fk_value *out)
{
    (void)n;
    if (args[0].type == FK_T_NULL) {
        set_null(out);
        return;
    }
    int e = bytes_enc(&args[1]);
    const char *s = args[0].u.s.p ? args[0].u.s.p : "";
    size_t len = args[0].u.s.len;
    struct sb b = {.a = ev->a};
    sb_put(&b, "", 0);
    switch (e) {
    case ENC_HEX:
        if (len % 2 != 0) {
            throw_null(ev, out);
            return;
        }
        for (size_t i = 0; i < len; i += 2) {
            int hi = hex_val(s[i]), lo = hex_val(s[i + 1]);
            if (hi < 0 || lo < 0 || (s[i] >= 'a' && s[i] <= 'f') || (s[i + 1] >= 'a' && s[i + 1] <= 'f')) {
                throw_null(ev, out);
                return;
            }
            char c = (char)(hi << 4 | lo);
            sb_put(&b, &c, 1);
        }
        break;
    case ENC_BASE64:
        base64_decode(s, len, &b);
        break;
    case ENC_ASCII:
        ascii_bytes(s, len, &b);
        break;
    case ENC_UTF8:
        sb_put(&b, s, len);
        break;
    default:
        throw_null(ev, out);
        return;
    }
    out->type = FK_T_BYTES;
    out->u.s.p = b.p;
    out->u.s.len = b.len;
}

OVERLOAD_CHECK(chk_from_bytes, FK_T_VARCHAR, "YS")

/* FROM_BYTES(bytes, encoding): NULL for a NULL argument; an unknown encoding is an error. */
static void fn_from_bytes(const struct fk_node *n, const struct fk_value *args, struct fk_ev *ev,
                          struct fk_value *out)
{
    (void)n;
    if (any_null(args, 2)) {
        set_null(out);
        return;
    }
    const unsigned char *p = (const unsigned char *)(args[0].u.s.p ? args[0].u.s.p : "");
    size_t len = args[0].u.s.len;
    struct sb b = {.a = ev->a};
    sb_put(&b, "", 0);
    switch (bytes_enc(&args[1])) {
    case ENC_HEX:
        put_hex_case(&b, p, len, 1);
        break;
    case ENC_BASE64: {
        struct sb raw = {.a = ev->a};
        sb_put(&raw, "", 0);
        base64_encode((const char *)p, len, &raw);
        for (size_t i = 0; i < raw.len; i += 76) {
            if (i) {
                sb_put(&b, "\r\n", 2);
            }
            sb_put(&b, raw.p + i, raw.len - i < 76 ? raw.len - i : 76);
        }
        break;
    }
    case ENC_ASCII:
    case ENC_UTF8:
        bytes_as_text((const char *)p, len, enc_of(&args[1]) == ENC_ASCII, &b);
        break;
    default:
        throw_null(ev, out);
        return;
    }
    set_str(out, b.p, b.len);
}

/* numbers from bytes. */

static const char *const sig_from_bytes[] = {"Y", "YS", NULL};

static int chk_int_from_bytes(struct fk_cc *cc, struct fk_node *n)
{
    n->type = strcmp(n->fn->name, "DOUBLE_FROM_BYTES") == 0 ? FK_T_DOUBLE : FK_T_INTEGER;
    return fk_fn_overload(cc, n, sig_from_bytes) < 0 ? -1 : 0;
}

/* INT_FROM_BYTES(b[, order]), BIGINT_FROM_BYTES, DOUBLE_FROM_BYTES: the 4 or 8 bytes of b as a
 * number, big-endian unless ORDER is 'LITTLE_ENDIAN' (either name, any case). Another size, a
 * NULL or unknown order is an error. */
static void fn_int_from_bytes(const struct fk_node *n, const struct fk_value *args,
                              struct fk_ev *ev, struct fk_value *out)
{
    if (args[0].type == FK_T_NULL) {
        set_null(out);
        return;
    }
    int little = 0;
    if (n->nkid == 2) {
        const struct fk_value *o = &args[1];
        if (o->type != FK_T_NULL && ieq(o->u.s.p, o->u.s.len, "LITTLE_ENDIAN")) {
            little = 1;
        } else if (o->type == FK_T_NULL || !ieq(o->u.s.p, o->u.s.len, "BIG_ENDIAN")) {
            throw_null(ev, out);
            return;
        }
    }
    size_t want = strcmp(n->fn->name, "INT_FROM_BYTES") == 0 ? 4 : 8;
    if (args[0].u.s.len != want) {
        throw_null(ev, out);
        return;
    }
    const unsigned char *p = (const unsigned char *)args[0].u.s.p;
    uint64_t u = 0;
    for (size_t k = 0; k < want; k++) {
        u = u << 8 | p[little ? want - 1 - k : k];
    }
    if (n->type == FK_T_DOUBLE) {
        double d;
        memcpy(&d, &u, sizeof d);
        set_dbl(out, d);
    } else {
        set_int(out, want == 4 ? (int64_t)(int32_t)(uint32_t)u : (int64_t)u);
    }
}

/* UUID. */

/* Every UUID() call is its own: never a shared subexpression. */
static int chk_uuid(struct fk_cc *cc, struct fk_node *n)
{
    static const char *const sigs[] = {"", NULL};
    n->type = FK_T_VARCHAR;
    fk_fn_volatile(n);
    return fk_fn_overload(cc, n, sigs) < 0 ? -1 : 0;
}

/* UUID(): a random (version 4) UUID, as UUID.randomUUID().toString(). */
static void fn_uuid(const struct fk_node *n, const struct fk_value *args, struct fk_ev *ev,
                    struct fk_value *out)
{
    (void)n;
    (void)args;
    unsigned char u[16];
    uint64_t hi = fk_fn_rand64(), lo = fk_fn_rand64();
    for (int k = 0; k < 8; k++) {
        u[k] = (unsigned char)(hi >> (8 * k));
        u[8 + k] = (unsigned char)(lo >> (8 * k));
    }
    u[6] = (unsigned char)((u[6] & 0x0F) | 0x40);
    u[8] = (unsigned char)((u[8] & 0x3F) | 0x80);
    struct sb b = {.a = ev->a};
    sb_put(&b, "", 0);
    for (int k = 0; k < 16; k++) {
        if (k == 4 || k == 6 || k == 8 || k == 10) {
            sb_put(&b, "-", 1);
        }
        put_hex(&b, u + k, 1);
    }
    set_str(out, b.p, b.len);
}

/* URLs. */

/* The parts of a URI as java.net.URI splits it (offsets into the text, -1 when absent). */
struct uri {
    const char *s;
    long scheme_end;            /* the ':' */
    long host, host_end;        /* a server-based authority's host */
    long port;                  /* -1 when none */
    long path, path_end;
    long query, query_end;
    long frag, frag_end;
};

static int uri_char_ok(unsigned char c)
{
    /* What URI refuses anywhere: controls, space and " < > \ ^ ` { | }. Other non-ASCII
     * characters are allowed (URI's "other" category). */
    return c > 0x20 && c != 0x7F && !strchr("\"<>\\^`{|}", c);
}

/* Parses S as new URI(s) would; -1 where it throws URISyntaxException. */
static int uri_parse(const char *s, size_t len, struct uri *u)
{
    memset(u, 0, sizeof *u);
    u->s = s;
    u->scheme_end = u->host = u->host_end = u->path = u->path_end = -1;
    u->query = u->query_end = u->frag = u->frag_end = -1;
    u->port = -1;
    if (len == 0) {
        u->path = u->path_end = 0;
        return 0;
    }
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '#' && memchr(s + i + 1, '#', len - i - 1)) {
            return -1; /* a second '#' */
        }
        if (!uri_char_ok(c)) {
            return -1;
        }
        if (c == '%' && (i + 2 >= len || hex_val(s[i + 1]) < 0 || hex_val(s[i + 2]) < 0)) {
            return -1;
        }
    }
    size_t i = 0;
    const char *hash = memchr(s, '#', len);
    size_t end = hash ? (size_t)(hash - s) : len;
    if (hash) {
        u->frag = (long)end + 1;
        u->frag_end = (long)len;
    }
    /* scheme */
    size_t k = 0;
    if ((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z')) {
        k = 1;
        while (k < end && (isalnum((unsigned char)s[k]) || s[k] == '+' || s[k] == '-' || s[k] == '.')) {
            k++;
        }
        if (k < end && s[k] == ':') {
            u->scheme_end = (long)k;
            i = k + 1;
            if (i >= end) {
                return -1; /* "http:" : expected scheme-specific part */
            }
            if (s[i] != '/') {
                return 0; /* opaque: no host, path or query */
            }
        }
    } else if (s[0] == ':') {
        return -1;
    }
    if (i + 1 < end && s[i] == '/' && s[i + 1] == '/') {
        size_t a = i + 2, ae = a;
        while (ae < end && s[ae] != '/' && s[ae] != '?') {
            ae++;
        }
        /* userinfo@host:port; a host that is not a hostname or [IPv6] makes the authority
         * registry-based: no host, no port. */
        const char *at = memrchr(s + a, '@', ae - a);
        size_t h = at ? (size_t)(at - s) + 1 : a, he = ae;
        long port = -1;
        if (h < ae && s[h] == '[') {
            const char *rb = memchr(s + h, ']', ae - h);
            if (!rb) {
                return -1;
            }
            he = (size_t)(rb - s) + 1;
        } else {
            const char *colon = memrchr(s + h, ':', ae - h);
            if (colon) {
                he = (size_t)(colon - s);
            }
        }
        int ok = he > h;
        if (he < ae) {
            if (s[he] != ':') {
                ok = 0;
            } else {
                port = he + 1 < ae ? 0 : -1;
                for (size_t p = he + 1; p < ae; p++) {
                    if (s[p] < '0' || s[p] > '9' || port > 99999999) {
                        ok = 0;
                        break;
                    }
                    port = port * 10 + (s[p] - '0');
                }
            }
        }
        if (ok && s[h] != '[') {
            for (size_t p = h; p < he; p++) {
                if (!isalnum((unsigned char)s[p]) && s[p] != '-' && s[p] != '.') {
                    ok = 0;
                }
            }
            ok = ok && s[h] != '-' && s[he - 1] != '-';
        }
        if (ok) {
            u->host = (long)h;
            u->host_end = (long)he;
            u->port = port;
        } else if (ae == a && u->scheme_end >= 0 && (ae >= end || s[ae] != '/')) {
            return -1; /* "http://" : expected authority */
        }
        i = ae;
    }
    size_t q = i;
    while (q < end && s[q] != '?') {
        q++;
    }
    u->path = (long)i;
    u->path_end = (long)q;
    if (q < end) {
        u->query = (long)q + 1;
        u->query_end = (long)end;
    }
    return 0;
}

/* Appends S[a..e) with %XX decoded (URI's getPath, getQuery, getFragment). */
static void pct_decode(struct sb *b, const char *s, long a, long e)
{
    for (long i = a; i < e; i++) {
        char c = s[i];
        if (c == '%' && i + 2 < e && hex_val(s[i + 1]) >= 0 && hex_val(s[i + 2]) >= 0) {
            c = (char)(hex_val(s[i + 1]) << 4 | hex_val(s[i + 2]));
            i += 2;
        }
        sb_put(b, &c, 1);
    }
}

/* The URL argument V parsed into U: its text, or NULL with OUT set (NULL for a NULL URL, an
 * error for one java.net.URI refuses). */
static const char *url_arg(const struct fk_value *v, struct uri *u, struct fk_ev *ev,
                           struct fk_value *out)
{
    if (v->type == FK_T_NULL) {
        set_null(out);
        return NULL;
    }
    const char *s = v->u.s.p ? v->u.s.p : "";
    if (uri_parse(s, v->u.s.len, u) != 0) {
        throw_null(ev, out);
        return NULL;
    }
    return s;
}

enum url_part { URL_HOST, URL_PATH, URL_PORT, URL_PROTOCOL, URL_QUERY, URL_FRAGMENT };

static const struct {
    const char *name;
    enum url_part part;
} url_parts[] = {
    {"URL_EXTRACT_HOST", URL_HOST},         {"URL_EXTRACT_PATH", URL_PATH},
    {"URL_EXTRACT_PORT", URL_PORT},         {"URL_EXTRACT_PROTOCOL", URL_PROTOCOL},
    {"URL_EXTRACT_QUERY", URL_QUERY},       {"URL_EXTRACT_FRAGMENT", URL_FRAGMENT},
};

static int chk_url_extract(struct fk_cc *cc, struct fk_node *n)
{
    static const char *const sigs[] = {"S", NULL};
    for (size_t i = 0; i < FK_ARRAY_SIZE(url_parts); i++) {
        if (strcmp(url_parts[i].name, n->fn->name) == 0) {
            n->sub = (int)url_parts[i].part;
        }
    }
    n->type = n->sub == URL_PORT ? FK_T_INTEGER : FK_T_VARCHAR;
    return fk_fn_overload(cc, n, sigs) < 0 ? -1 : 0;
}

/* URL_EXTRACT_*(url): a part of the URL, NULL when it has none; a URL that java.net.URI refuses
 * is an error. */
static void fn_url_extract(const struct fk_node *n, const struct fk_value *args,
                           struct fk_ev *ev, struct fk_value *out)
{
    struct uri u;
    const char *s = url_arg(&args[0], &u, ev, out);
    if (!s) {
        return;
    }
    long a = -1, e = -1;
    int decode = 1;
    switch ((enum url_part)n->sub) {
    case URL_PORT:
        if (u.port < 0) {
            set_null(out);
        } else {
            set_int(out, u.port);
        }
        return;
    case URL_HOST:
        a = u.host, e = u.host_end, decode = 0;
        break;
    case URL_PROTOCOL:
        a = u.scheme_end >= 0 ? 0 : -1, e = u.scheme_end, decode = 0;
        break;
    case URL_PATH:
        a = u.path, e = u.path_end;
        break;
    case URL_QUERY:
        a = u.query, e = u.query_end;
        break;
    case URL_FRAGMENT:
        a = u.frag, e = u.frag_end;
        break;
    }
    if (a < 0) {
        set_null(out);
        return;
    }
    if (!decode) {
        set_str(out, s + a, (size_t)(e - a));
        return;
    }
    struct sb b = {.a = ev->a};
    sb_put(&b, "", 0);
    pct_decode(&b, s, a, e);
    set_str(out, b.p, b.len);
}

OVERLOAD_CHECK(chk_ss, FK_T_VARCHAR, "SS")

/* URL_EXTRACT_PARAMETER(url, name): the decoded query's value for NAME ('' for a bare name),
 * NULL when absent. */
static void fn_url_extract_parameter(const struct fk_node *n, const struct fk_value *args,
                                     struct fk_ev *ev, struct fk_value *out)
{
    struct uri u;
    (void)n;
    const char *s = url_arg(&args[0], &u, ev, out);
    if (!s) {
        return;
    }
    set_null(out);
    if (u.query < 0 || args[1].type == FK_T_NULL) {
        return;
    }
    struct sb q = {.a = ev->a};
    sb_put(&q, "", 0);
    pct_decode(&q, s, u.query, u.query_end);
    const char *want = args[1].u.s.p;
    size_t wl = args[1].u.s.len;
    for (size_t i = 0; i <= q.len;) {
        const char *amp = memchr(q.p + i, '&', q.len - i);
        size_t pe = amp ? (size_t)(amp - q.p) : q.len;
        const char *eq = memchr(q.p + i, '=', pe - i);
        size_t ke = eq ? (size_t)(eq - q.p) : pe;
        if (ke - i == wl && memcmp(q.p + i, want, wl) == 0) {
            if (eq) {
                set_str(out, eq + 1, pe - ke - 1);
            } else {
                set_str(out, "", 0);
            }
            return;
        }
        i = pe + 1;
    }
}

/* URL_ENCODE_PARAM(s): Guava's form-parameter escaper: letters, digits and - _ . * stay, space
 * is '+', other bytes %XX. A NULL argument throws there. */
static void fn_url_encode_param(const struct fk_node *n, const struct fk_value *args,
                                struct fk_ev *ev, struct fk_value *out)
{
    (void)n;
    if (args[0].type == FK_T_NULL) {
        throw_null(ev, out);
        return;
    }
    struct sb b = {.a = ev->a};
    sb_put(&b, "", 0);
    for (size_t i = 0; i < args[0].u.s.len; i++) {
        unsigned char c = (unsigned char)args[0].u.s.p[i];
        if (isalnum(c) || strchr("-_.*", c)) {
            sb_put(&b, (const char *)&c, 1);
        } else if (c == ' ') {
            sb_put(&b, "+", 1);
        } else {
            char h[3] = {'%', "0123456789ABCDEF"[c >> 4], "0123456789ABCDEF"[c & 15]};
            sb_put(&b, h, 3);
        }
    }
    set_str(out, b.p, b.len);
}

/* URL_DECODE_PARAM(s): URLDecoder.decode: '+' is space, %XX a byte; a broken escape throws. */
static void fn_url_decode_param(const struct fk_node *n, const struct fk_value *args,
                                struct fk_ev *ev, struct fk_value *out)
{
    (void)n;
    if (args[0].type == FK_T_NULL) {
        set_null(out);
        return;
    }
    const char *s = args[0].u.s.p;
    size_t len = args[0].u.s.len;
    struct sb b = {.a = ev->a};
    sb_put(&b, "", 0);
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (c == '+') {
            c = ' ';
        } else if (c == '%') {
            if (i + 2 >= len || hex_val(s[i + 1]) < 0 || hex_val(s[i + 2]) < 0) {
                throw_null(ev, out);
                return;
            }
            c = (char)(hex_val(s[i + 1]) << 4 | hex_val(s[i + 2]));
            i += 2;
        }
        sb_put(&b, &c, 1);
    }
    set_str(out, b.p, b.len);
}

OVERLOAD_CHECK(chk_s1, FK_T_VARCHAR, "S")

const struct fk_func fk_fn_encode[] = {
    {"MD5", 0, -1, chk_s1, fn_md5},
    {"ENCODE", 0, -1, chk_sss, fn_encode},
    {"UUID", 0, -1, chk_uuid, fn_uuid},
    {"TO_BYTES", 0, -1, chk_to_bytes, fn_to_bytes},
    {"FROM_BYTES", 0, -1, chk_from_bytes, fn_from_bytes},
    {"INT_FROM_BYTES", 0, -1, chk_int_from_bytes, fn_int_from_bytes},
    {"BIGINT_FROM_BYTES", 0, -1, chk_int_from_bytes, fn_int_from_bytes},
    {"DOUBLE_FROM_BYTES", 0, -1, chk_int_from_bytes, fn_int_from_bytes},
    {"URL_EXTRACT_HOST", 0, -1, chk_url_extract, fn_url_extract},
    {"URL_EXTRACT_PATH", 0, -1, chk_url_extract, fn_url_extract},
    {"URL_EXTRACT_PORT", 0, -1, chk_url_extract, fn_url_extract},
    {"URL_EXTRACT_PROTOCOL", 0, -1, chk_url_extract, fn_url_extract},
    {"URL_EXTRACT_QUERY", 0, -1, chk_url_extract, fn_url_extract},
    {"URL_EXTRACT_FRAGMENT", 0, -1, chk_url_extract, fn_url_extract},
    {"URL_EXTRACT_PARAMETER", 0, -1, chk_ss, fn_url_extract_parameter},
    {"URL_ENCODE_PARAM", 0, -1, chk_s1, fn_url_encode_param},
    {"URL_DECODE_PARAM", 0, -1, chk_s1, fn_url_decode_param},
};
const size_t fk_fn_encode_n = FK_ARRAY_SIZE(fk_fn_encode);
