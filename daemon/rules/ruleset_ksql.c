/*
 * rules.yaml's "ksql" key: the source stream, the labelled stream and any further persistent
 * queries as the ksqlDB statements a user pastes (the seed's two verbatim, with the CLI's
 * trailing backslashes; SET statements too). The text is loaded by the one ksqlDB loader
 * (rules/ksql.c) into a program; its declared stream is the rules' source, its first query the
 * labelled stream the engine renders, and the queries after it run in the dq group beside the
 * label (rules/program.h). The program stays with the ruleset: its expressions' types live in it.
 */
#include "rules/ruleset_internal.h"

#include "rules/program.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The source: the program's declared stream, its columns (key columns first, read from the
 * record key in its KEY_FORMAT; ksql.c checked the format against them) as the rules' columns. */
static int take_source(struct ld *ld, const struct fk_yaml_node *n, const struct fk_stream *s)
{
    struct fk_ruleset *rs = ld->rs;
    if (s->n_cols == 0) {
        return fk_ld_fail_at(ld, n, "the source stream %s declares no column", s->name);
    }
    rs->source_stream = fk_strdup(s->name);
    rs->source_topic = fk_strdup(s->topic);
    for (size_t i = 0; i < s->n_cols; i++) {
        /* named as spelled, as the YAML form names them: verdicts say "type:name" alike */
        const struct fk_column *c = &s->cols[i];
        const char *name = c->spelled ? c->spelled : c->name;
        if (fk_ld_add_column(ld, name, strlen(name), fk_sqltype_copy(c->type), NULL, c->line,
                             c->col) != 0) {
            return -1;
        }
    }
    rs->n_key = s->n_key;
    rs->key_format = s->key_format;
    return 0;
}

/* The labelled stream: query Q's projection, its expressions moved into the ruleset (they were
 * compiled against the source's columns, which are the rules' columns, in order). Its key
 * columns are those ksql_select.c chose, as ksqlDB keys the sink, in the sink's key format. */
static int take_label(struct ld *ld, struct fk_program *p, struct fk_query *q)
{
    struct fk_ruleset *rs = ld->rs;
    if (q->where) {
        return fk_ld_fail_pos(ld, q->where_line, q->where_col,
                              "WHERE is not supported in the labelled stream: it has a record "
                              "for every record of the source (put the filter in a rule's "
                              "'when', or in a further query)");
    }
    if (q->repartition) {
        return fk_ld_fail_pos(ld, q->partition_line, q->partition_col,
                              "PARTITION BY is not supported in the labelled stream (it keeps the "
                              "source's key, as the seed's CUSTEXCEP); re-key in a further query");
    }
    const struct fk_stream *sink = &p->streams[q->sink];
    rs->label_stream = fk_strdup(sink->name);
    rs->label_topic = fk_strdup(sink->topic);
    rs->select = fk_calloc(q->n_proj, sizeof *rs->select);
    for (size_t i = 0; i < q->n_proj; i++) {
        if (fk_ld_dup_output(ld, q->proj[i].name)) {
            return fk_ld_fail_pos(ld, q->line, 1, "duplicate output column '%s'",
                                  q->proj[i].name);
        }
        rs->select[i].out_name = fk_strdup(q->proj[i].name);
        rs->select[i].expr = q->proj[i].expr;
        rs->select[i].key = q->proj[i].key;
        rs->n_label_key += q->proj[i].key != 0;
        q->proj[i].expr = NULL;
        rs->n_select++;
    }
    rs->label_key_format = sink->key_format;
    rs->label_index = rs->n_select - 1;
    return 0;
}

/* The queries after the labelled stream: each must read the source (the dq group consumes only
 * its topic) and write a topic of its own. */
static int check_queries(struct ld *ld, const struct fk_yaml_node *n, const struct fk_program *p)
{
    const struct fk_ruleset *rs = ld->rs;
    for (size_t i = 0; i < p->n_queries; i++) {
        const struct fk_query *q = &p->queries[i];
        if (strcmp(p->streams[q->source].topic, rs->source_topic) != 0) {
            return fk_ld_fail_pos(ld, q->line, n->text_col,
                                  "not supported: %s reads %s; the dq group runs queries on the "
                                  "source stream %s only",
                                  q->id, p->streams[q->source].name, rs->source_stream);
        }
        const char *topic = p->streams[q->sink].topic;
        if (strcmp(topic, rs->label_topic) == 0 || strcmp(topic, rs->source_topic) == 0) {
            return fk_ld_fail_pos(ld, q->line, n->text_col,
                                  "%s writes %s, which the dq group reads or writes already; "
                                  "give it its own KAFKA_TOPIC",
                                  q->id, topic);
        }
    }
    return 0;
}

int fk_ld_load_ksql(struct ld *ld, const struct fk_yaml_node *n)
{
    struct fk_ruleset *rs = ld->rs;
    if (fk_ld_want(ld, n, FK_YAML_SCALAR, "ksql")) {
        return -1;
    }
    struct fk_program *p =
        fk_program_load_at(ld->file, n->str, n->len, n->text_line, n->text_col,
                           n->text_line != n->line ? n->text_col : 1, ld->err, ld->err_size);
    if (!p) {
        return -1;
    }
    rs->program = p;
    rs->offset_reset = p->offset_reset;
    if (p->n_streams == 0 || !p->streams[0].declared ||
        (take_source(ld, n, &p->streams[0]) == 0 && p->n_queries == 0)) {
        return fk_ld_fail_at(ld, n, "ksql needs two statements: CREATE STREAM source (...) WITH "
                                    "(...); CREATE STREAM label AS SELECT ... FROM source;");
    }
    if (!rs->source_stream) {
        return -1; /* take_source said why */
    }
    struct fk_query *label = &p->queries[0];
    if (label->source != 0) {
        return fk_ld_fail_pos(ld, label->line, n->text_col,
                              "the labelled stream (the first query) must read the source "
                              "stream %s, the first declared",
                              p->streams[0].name);
    }
    if (take_label(ld, p, label)) {
        return -1;
    }
    fk_program_drop_query(p, 0);
    return check_queries(ld, n, p);
}
