/*
 * Notifications; see notify.h. The message is JSON: to, rule, dimension, severity, quality,
 * the rendered text, the source record's coordinates and the rules' generation.
 */
#include "engine/notify.h"
#include "rules/json_out.h"

#include <stdio.h>
#include <string.h>

/* An address a message can go to: local@domain.tld, no spaces or controls, 254 bytes at most. */
static int usable_address(const struct fk_value *to)
{
    if (to->type != FK_T_VARCHAR || to->u.s.len < 3 || to->u.s.len > 254) {
        return 0;
    }
    const char *s = to->u.s.p;
    size_t n = to->u.s.len, at = n, dot = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c <= ' ' || c == 0x7f || c == '"' || c == '<' || c == '>' || c == ',') {
            return 0;
        }
        if (c == '@') {
            if (at != n) {
                return 0;
            }
            at = i;
        } else if (c == '.' && at != n) {
            dot = i;
        }
    }
    return at > 0 && at < n && dot > at + 1 && dot < n - 1;
}

static void render_template(struct fk_buf *out, const struct fk_template *t,
                            struct fk_engine *eng, const struct fk_rule *r,
                            const struct fk_value *label, const struct fk_value *to)
{
    for (size_t i = 0; i < t->n; i++) {
        const struct fk_tmpl_part *p = &t->parts[i];
        switch (p->kind) {
        case FK_TMPL_TEXT:
            fk_buf_append(out, p->text, p->len);
            break;
        case FK_TMPL_COLUMN: { /* as CAST(column AS VARCHAR) writes it; NULL: nothing */
            struct fk_value text;
            fk_engine_value_text(eng, &fk_engine_row(eng)->cols[p->column], &text);
            if (text.type == FK_T_VARCHAR) {
                fk_buf_append(out, text.u.s.p, text.u.s.len);
            }
            break;
        }
        case FK_TMPL_EXPR: {
            struct fk_value v, text;
            fk_engine_eval_expr(eng, p->expr, &v);
            fk_engine_value_text(eng, &v, &text);
            if (text.type == FK_T_VARCHAR) {
                fk_buf_append(out, text.u.s.p, text.u.s.len);
            }
            break;
        }
        case FK_TMPL_RULE:
            fk_buf_puts(out, r->name);
            break;
        case FK_TMPL_QUALITY:
            if (label->type == FK_T_VARCHAR) {
                fk_buf_append(out, label->u.s.p, label->u.s.len);
            }
            break;
        case FK_TMPL_MESSAGE:
            fk_buf_puts(out, r->message ? r->message : r->name);
            break;
        case FK_TMPL_DIMENSION:
            fk_buf_puts(out, fk_dimension_name(r->dimension));
            break;
        case FK_TMPL_TO:
            fk_buf_append(out, to->u.s.p, to->u.s.len);
            break;
        }
    }
}

void fk_notify(struct fk_notifier *nt, struct fk_engine *eng, const struct fk_ruleset *rs,
               const struct fk_verdict *v, const struct fk_provenance *prov, struct fk_uniq *uniq,
               fk_notify_send_fn *send, void *opaque)
{
    struct fk_value to = {0};
    int evaluated = 0, usable = 0;
    for (size_t i = 0; i < v->n_violations; i++) {
        const struct fk_rule *r = v->violations[i].rule;
        if (!r || !r->notify_tmpl) {
            continue;
        }
        if (!evaluated) {
            fk_engine_eval_expr(eng, rs->notify_to, &to);
            usable = usable_address(&to);
            evaluated = 1;
        }
        if (!usable) {
            nt->undeliverable++;
            continue;
        }
        struct fk_buf *b = &nt->note;
        fk_buf_reset(b);
        fk_buf_putc(b, '~');
        fk_buf_puts(b, r->name);
        fk_buf_putc(b, '\n');
        fk_buf_append(b, to.u.s.p, to.u.s.len);
        if (fk_uniq_claim(uniq, prov->partition, b->data, b->len, prov->timestamp_ms,
                          rs->notify_within_ms)) {
            nt->suppressed++;
            continue;
        }
        struct fk_buf *text = &nt->text;
        fk_buf_reset(text);
        render_template(text, r->notify_tmpl, eng, r, &v->label, &to);
        char ts[25];
        fk_iso8601_ms(prov->timestamp_ms, ts);
        fk_buf_reset(b);
        fk_buf_puts(b, "{\"to\":");
        fk_json_put_string(b, to.u.s.p, to.u.s.len);
        fk_buf_puts(b, ",\"rule\":");
        fk_json_put_string(b, r->name, strlen(r->name));
        fk_buf_printf(b, ",\"dimension\":\"%s\",\"severity\":\"%s\",\"quality\":",
                      fk_dimension_name(r->dimension), fk_severity_name(r->severity));
        if (v->label.type == FK_T_VARCHAR) {
            fk_json_put_string(b, v->label.u.s.p, v->label.u.s.len);
        } else {
            fk_buf_puts(b, "null");
        }
        fk_buf_puts(b, ",\"text\":");
        fk_json_put_string(b, text->data ? text->data : "", text->len);
        fk_buf_puts(b, ",\"source\":{\"topic\":");
        fk_json_put_string(b, prov->topic, strlen(prov->topic));
        fk_buf_printf(b,
                      ",\"partition\":%d,\"offset\":%lld,\"timestamp\":\"%s\"},"
                      "\"generation\":%llu}",
                      (int)prov->partition, (long long)prov->offset, ts,
                      (unsigned long long)v->generation);
        send(opaque, rs->notify_topic, b->data, b->len, to.u.s.p, to.u.s.len);
        nt->sent++;
    }
}

void fk_notifier_free(struct fk_notifier *nt)
{
    fk_buf_free(&nt->note);
    fk_buf_free(&nt->text);
}
