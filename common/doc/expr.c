/*  expr - the expressions inside {{ }}: paths, arithmetic, sums, filters.

    A compiled expression is an array of nodes (the tree, children by
    index) over one buffer holding every string it needs NUL-terminated:
    string literals and paths, which are stored dotted ("items.0.desc",
    whatever the source wrote: items[0].desc). The parser is recursive
    descent, one function per rule of the grammar in expr.h, and counts
    its depth, so it never recurses deeper than EXPR_DEPTH_MAX. The
    evaluator recurses along the tree, whose depth is bounded by its size
    (EXPR_NODES_MAX): a chain a + b + c is a tree leaning left.

    Names may contain '-' (first-name), as they always could, so
    subtraction needs a space or a non-name character before the minus:
    "a-b" is a field, "a - b" a difference.

    Path resolution walks the record without building strings; the JSON
    path of a field ("records[4].items[3].qty") is built only for an error
    message. Numeric path segments must not have leading zeros, so two
    different paths never reach the same value.

    SPDX-License-Identifier: MPL-2.0
*/
#include "expr.h"

#include <assert.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsondoc.h"

#define S_INDEX_DIGITS_MAX 9 // longer numeric segments are never an index
#define S_QUOTE_MAX 16       // bytes of source quoted in a syntax error
#define S_INTEGER_EXACT_MAX 9007199254740992.0 // 2^53
#define S_FORMAT_LIMIT 1e21 // numbers this large are never formatted

typedef enum {
    S_NUMBER, // literal: number
    S_STRING, // literal: text
    S_PATH,   // text is the dotted path; rooted when it began with $
    S_PAGE,
    S_PAGES,
    S_NEGATE, // left
    S_ADD,    // left, right
    S_SUBTRACT,
    S_MULTIPLY,
    S_DIVIDE,
    S_SUM,    // left: the array path; right: per-item expression or -1
    S_COUNT,  // left: the array path
    S_FILTER, // left: input; filter, with number, text or right (default)
} s_op_t;

typedef enum {
    S_DEFAULT,
    S_FIXED,
    S_THOUSANDS,
    S_PAD,
} s_filter_t;

static const char *const s_filter_names[] = {"default", "fixed", "thousands",
                                             "pad", NULL};

typedef struct {
    s_op_t op;
    int left;      // node index or -1
    int right;     // node index or -1
    double number; // S_NUMBER; whole-number argument of fixed and pad
    size_t text;   // offset into strings: S_STRING, S_PATH, thousands'
    int rooted;    // S_PATH: starts at the record ("$.")
    s_filter_t filter;
} s_node_t;

struct _expr_t {
    s_node_t *nodes;
    size_t node_count;
    size_t node_max;
    char *strings; // NUL-terminated texts the nodes point into
    size_t strings_used;
    int root; // node index of the whole expression
    size_t path_count;
    size_t literal_count; // S_STRING nodes and separators
    char *source;         // the trimmed source, for messages
};

// ---------------------------------------------------------------------------
// Parsing

typedef struct {
    expr_t *expr;
    const char *text;
    size_t length;
    size_t at;
    int depth;
    char *problem;
    size_t problem_size;
    int failed;
} s_parser_t;

static void
s_problem (s_parser_t *parser, const char *format, ...)
    __attribute__ ((format (printf, 2, 3)));

static void
s_problem (s_parser_t *parser, const char *format, ...)
{
    if (parser->failed)
        return;
    parser->failed = 1;
    va_list args;
    va_start (args, format);
    vsnprintf (parser->problem, parser->problem_size, format, args);
    va_end (args);
}

//  "at 'rest of the text'" or "at the end", into buffer.
static void
s_where (const s_parser_t *parser, char *buffer, size_t size)
{
    if (parser->at >= parser->length) {
        snprintf (buffer, size, "at the end");
        return;
    }
    size_t rest = parser->length - parser->at;
    size_t quoted = rest < S_QUOTE_MAX ? rest : S_QUOTE_MAX;
    //  Never cut a UTF-8 character in two.
    while (quoted < rest &&
           ((unsigned char)parser->text[parser->at + quoted] & 0xC0) == 0x80)
        quoted--;
    snprintf (buffer, size, "at '%.*s%s'", (int)quoted,
              parser->text + parser->at, quoted < rest ? "..." : "");
}

static int
s_peek (const s_parser_t *parser)
{
    if (parser->at >= parser->length)
        return -1;
    return (unsigned char)parser->text[parser->at];
}

static void
s_skip_spaces (s_parser_t *parser)
{
    while (parser->at < parser->length && (parser->text[parser->at] == ' ' ||
                                           parser->text[parser->at] == '\t'))
        parser->at++;
}

static int
s_is_digit (int next)
{
    return next >= '0' && next <= '9';
}

static int
s_is_letter (int next)
{
    return (next >= 'a' && next <= 'z') || (next >= 'A' && next <= 'Z') ||
           next == '_';
}

//  True when the character at offset continues a name: letters, digits,
//  '_', and '-' when a name character follows it.
static int
s_continues_name (const s_parser_t *parser, size_t offset)
{
    if (offset >= parser->length)
        return 0;
    int next = (unsigned char)parser->text[offset];
    if (s_is_letter (next) || s_is_digit (next))
        return 1;
    if (next != '-' || offset + 1 >= parser->length)
        return 0;
    int after = (unsigned char)parser->text[offset + 1];
    return s_is_letter (after) || s_is_digit (after);
}

static int
s_add_node (s_parser_t *parser, s_op_t op, int left, int right)
{
    expr_t *expr = parser->expr;
    if (expr->node_count == EXPR_NODES_MAX) {
        s_problem (parser, "more than %d operands, operators and filters",
                   EXPR_NODES_MAX);
        return -1;
    }
    if (expr->node_count == expr->node_max) {
        size_t node_max = expr->node_max ? expr->node_max * 2 : 8;
        s_node_t *nodes = realloc (expr->nodes, node_max * sizeof (s_node_t));
        if (!nodes) {
            s_problem (parser, "out of memory");
            return -1;
        }
        expr->nodes = nodes;
        expr->node_max = node_max;
    }
    s_node_t *node = &expr->nodes[expr->node_count];
    memset (node, 0, sizeof (s_node_t));
    node->op = op;
    node->left = left;
    node->right = right;
    return (int)expr->node_count++;
}

//  Start a string in the strings buffer; bytes are appended with
//  s_string_put and ended with s_string_end. The buffer is sized at
//  compile time for everything a source can store.
static size_t
s_string_begin (s_parser_t *parser)
{
    return parser->expr->strings_used;
}

static void
s_string_put (s_parser_t *parser, char byte)
{
    parser->expr->strings[parser->expr->strings_used++] = byte;
}

static void
s_string_end (s_parser_t *parser)
{
    s_string_put (parser, '\0');
}

static int
s_parse_expression (s_parser_t *parser);

static int
s_enter (s_parser_t *parser)
{
    if (++parser->depth > EXPR_DEPTH_MAX) {
        s_problem (parser, "nested deeper than %d levels", EXPR_DEPTH_MAX);
        return -1;
    }
    return 0;
}

static int
s_parse_number (s_parser_t *parser)
{
    size_t start = parser->at;
    while (s_is_digit (s_peek (parser)))
        parser->at++;
    if (s_peek (parser) == '.' && parser->at + 1 < parser->length &&
        s_is_digit ((unsigned char)parser->text[parser->at + 1])) {
        parser->at++;
        while (s_is_digit (s_peek (parser)))
            parser->at++;
    }
    char digits[64];
    size_t length = parser->at - start;
    if (length >= sizeof digits) {
        s_problem (parser, "number with more than %zu digits",
                   sizeof digits - 1);
        return -1;
    }
    memcpy (digits, parser->text + start, length);
    digits[length] = '\0';
    if (s_is_letter (s_peek (parser))) {
        char where[64];
        s_where (parser, where, sizeof where);
        s_problem (parser,
                   "a name cannot start with a digit %s (use $.%s to read a "
                   "field named so)",
                   where, digits);
        return -1;
    }
    int node = s_add_node (parser, S_NUMBER, -1, -1);
    if (node >= 0)
        parser->expr->nodes[node].number = strtod (digits, NULL);
    return node;
}

//  A quoted literal: '...' or "...", with \\ and the quote escaped.
static int
s_parse_string (s_parser_t *parser)
{
    char quote = parser->text[parser->at++];
    size_t text = s_string_begin (parser);
    while (1) {
        int next = s_peek (parser);
        if (next < 0) {
            s_problem (parser, "unclosed string: %c has no matching %c", quote,
                       quote);
            return -1;
        }
        parser->at++;
        if (next == quote)
            break;
        if (next < 0x20) {
            s_problem (parser, "control character in a string");
            return -1;
        }
        if (next == '\\') {
            int escaped = s_peek (parser);
            if (escaped != '\\' && escaped != '\'' && escaped != '"') {
                s_problem (parser,
                           "unknown escape in a string: only \\\\, \\' and "
                           "\\\" are known");
                return -1;
            }
            parser->at++;
            next = escaped;
        }
        s_string_put (parser, (char)next);
    }
    s_string_end (parser);
    int node = s_add_node (parser, S_STRING, -1, -1);
    if (node >= 0) {
        parser->expr->nodes[node].text = text;
        parser->expr->literal_count++;
    }
    return node;
}

//  One path segment after '.': name characters; digits alone without
//  leading zeros. Appends it to the current string.
static int
s_parse_segment (s_parser_t *parser)
{
    size_t start = parser->at;
    while (s_continues_name (parser, parser->at))
        parser->at++;
    size_t length = parser->at - start;
    if (length == 0) {
        char where[64];
        s_where (parser, where, sizeof where);
        s_problem (parser,
                   "expected a field name after '.' %s; a name is letters, "
                   "digits, '_' or '-'",
                   where);
        return -1;
    }
    int digits_only = 1;
    for (size_t offset = start; offset < parser->at; offset++)
        if (!s_is_digit ((unsigned char)parser->text[offset]))
            digits_only = 0;
    if (digits_only && length > 1 && parser->text[start] == '0') {
        s_problem (parser,
                   "item number '%.*s' has a leading zero; write numbers "
                   "without leading zeros",
                   (int)length, parser->text + start);
        return -1;
    }
    for (size_t offset = start; offset < parser->at; offset++)
        s_string_put (parser, parser->text[offset]);
    return 0;
}

static int
s_parse_index (s_parser_t *parser)
{
    parser->at++; // '['
    size_t start = parser->at;
    while (s_is_digit (s_peek (parser)))
        parser->at++;
    size_t length = parser->at - start;
    if (length == 0 || s_peek (parser) != ']') {
        char where[64];
        s_where (parser, where, sizeof where);
        s_problem (parser, "expected an item number and ']' %s", where);
        return -1;
    }
    if (length > 1 && parser->text[start] == '0') {
        s_problem (parser,
                   "item number '%.*s' has a leading zero; write numbers "
                   "without leading zeros",
                   (int)length, parser->text + start);
        return -1;
    }
    parser->at++; // ']'
    for (size_t offset = start; offset < start + length; offset++)
        s_string_put (parser, parser->text[offset]);
    return 0;
}

static int
s_parse_call (s_parser_t *parser, const char *name, size_t name_length)
{
    s_op_t op;
    if (name_length == 3 && memcmp (name, "sum", 3) == 0)
        op = S_SUM;
    else if (name_length == 5 && memcmp (name, "count", 5) == 0)
        op = S_COUNT;
    else {
        s_problem (parser,
                   "unknown function '%.*s'; expected sum(array, value) or "
                   "count(array)",
                   (int)name_length, name);
        return -1;
    }
    if (s_enter (parser))
        return -1;
    parser->at++; // '('
    s_skip_spaces (parser);
    int array = s_parse_expression (parser);
    if (array < 0)
        return -1;
    if (parser->expr->nodes[array].op != S_PATH) {
        s_problem (parser,
                   "%s() takes the path of an array field first, such as "
                   "%s(items%s)",
                   op == S_SUM ? "sum" : "count", op == S_SUM ? "sum" : "count",
                   op == S_SUM ? ", qty * unit_price" : "");
        return -1;
    }
    int each = -1;
    s_skip_spaces (parser);
    if (s_peek (parser) == ',') {
        if (op == S_COUNT) {
            s_problem (parser, "count() takes one argument, an array path");
            return -1;
        }
        parser->at++;
        s_skip_spaces (parser);
        each = s_parse_expression (parser);
        if (each < 0)
            return -1;
        s_skip_spaces (parser);
    }
    if (s_peek (parser) != ')') {
        char where[64];
        s_where (parser, where, sizeof where);
        s_problem (parser, "expected ')' to close %.*s( %s", (int)name_length,
                   name, where);
        return -1;
    }
    parser->at++;
    parser->depth--;
    return s_add_node (parser, op, array, each);
}

static int
s_parse_path (s_parser_t *parser)
{
    size_t start = parser->at;
    int rooted = s_peek (parser) == '$';
    size_t text = s_string_begin (parser);
    if (rooted) {
        parser->at++;
        if (s_peek (parser) != '.' && s_peek (parser) != '[') {
            s_problem (parser,
                       "'$' is the record and must be followed by a field, "
                       "such as $.customer.name");
            return -1;
        }
    } else {
        while (s_continues_name (parser, parser->at))
            parser->at++;
        size_t name_length = parser->at - start;
        size_t after_name = parser->at;
        s_skip_spaces (parser);
        if (s_peek (parser) == '(')
            return s_parse_call (parser, parser->text + start, name_length);
        parser->at = after_name;
        for (size_t offset = start; offset < after_name; offset++)
            s_string_put (parser, parser->text[offset]);
    }
    int segments = rooted ? 0 : 1;
    while (s_peek (parser) == '.' || s_peek (parser) == '[') {
        if (segments++)
            s_string_put (parser, '.');
        int rc = s_peek (parser) == '['
                     ? s_parse_index (parser)
                     : (parser->at++, s_parse_segment (parser));
        if (rc)
            return -1;
    }
    s_string_end (parser);
    const char *path = parser->expr->strings + text;
    s_op_t op = S_PATH;
    if (!rooted && strcmp (path, "page") == 0)
        op = S_PAGE;
    else if (!rooted && strcmp (path, "pages") == 0)
        op = S_PAGES;
    int node = s_add_node (parser, op, -1, -1);
    if (node < 0)
        return -1;
    parser->expr->nodes[node].text = text;
    parser->expr->nodes[node].rooted = rooted;
    if (op == S_PATH)
        parser->expr->path_count++;
    return node;
}

static int
s_parse_primary (s_parser_t *parser)
{
    s_skip_spaces (parser);
    int next = s_peek (parser);
    if (next == '(') {
        if (s_enter (parser))
            return -1;
        parser->at++;
        int inner = s_parse_expression (parser);
        if (inner < 0)
            return -1;
        s_skip_spaces (parser);
        if (s_peek (parser) != ')') {
            char where[64];
            s_where (parser, where, sizeof where);
            s_problem (parser, "expected ')' %s", where);
            return -1;
        }
        parser->at++;
        parser->depth--;
        return inner;
    }
    if (s_is_digit (next))
        return s_parse_number (parser);
    if (next == '\'' || next == '"')
        return s_parse_string (parser);
    if (next == '$' || s_is_letter (next))
        return s_parse_path (parser);
    char where[64];
    s_where (parser, where, sizeof where);
    s_problem (parser,
               "expected a value (a field path, a number or a quoted string) "
               "%s",
               where);
    return -1;
}

static int
s_parse_unary (s_parser_t *parser)
{
    s_skip_spaces (parser);
    if (s_peek (parser) != '-')
        return s_parse_primary (parser);
    if (s_enter (parser))
        return -1;
    parser->at++;
    int operand = s_parse_unary (parser);
    parser->depth--;
    if (operand < 0)
        return -1;
    return s_add_node (parser, S_NEGATE, operand, -1);
}

//  The string literal node of a binary operator's operand, or -1: a
//  quoted string can never be a number, so this is found at compile time.
static int
s_check_operand (s_parser_t *parser, int node, char op)
{
    if (parser->expr->nodes[node].op != S_STRING)
        return 0;
    s_problem (parser, "'%c' needs numbers, but '%s' is a quoted string", op,
               parser->expr->strings + parser->expr->nodes[node].text);
    return -1;
}

//  Operands parsed by parse_operand joined, left to right, by first (an
//  op_first node) or second (op_second): a product or a sum.
static int
s_parse_chain (s_parser_t *parser, int (*parse_operand) (s_parser_t *),
               char first, s_op_t op_first, char second, s_op_t op_second)
{
    int left = parse_operand (parser);
    while (left >= 0) {
        s_skip_spaces (parser);
        int next = s_peek (parser);
        if (next != first && next != second)
            break;
        parser->at++;
        int right = parse_operand (parser);
        if (right < 0 || s_check_operand (parser, left, (char)next) ||
            s_check_operand (parser, right, (char)next))
            return -1;
        left = s_add_node (parser, next == first ? op_first : op_second, left,
                           right);
    }
    return left;
}

static int
s_parse_product (s_parser_t *parser)
{
    return s_parse_chain (parser, s_parse_unary, '*', S_MULTIPLY, '/',
                          S_DIVIDE);
}

static int
s_parse_sum (s_parser_t *parser)
{
    return s_parse_chain (parser, s_parse_product, '+', S_ADD, '-', S_SUBTRACT);
}

//  A filter argument: a number (optionally negative) or a quoted string.
static int
s_parse_literal (s_parser_t *parser)
{
    s_skip_spaces (parser);
    int next = s_peek (parser);
    if (next == '\'' || next == '"')
        return s_parse_string (parser);
    int negative = 0;
    if (next == '-') {
        negative = 1;
        parser->at++;
        next = s_peek (parser);
    }
    if (!s_is_digit (next)) {
        char where[64];
        s_where (parser, where, sizeof where);
        s_problem (parser,
                   "expected a number or a quoted string as a filter "
                   "argument %s",
                   where);
        return -1;
    }
    int node = s_parse_number (parser);
    if (node >= 0 && negative)
        parser->expr->nodes[node].number = -parser->expr->nodes[node].number;
    return node;
}

//  The whole-number argument of fixed or pad, within [min, max].
static int
s_whole_argument (s_parser_t *parser, int argument, const char *filter, int min,
                  int max, double *value)
{
    const s_node_t *node = &parser->expr->nodes[argument];
    if (node->op != S_NUMBER || node->number != floor (node->number) ||
        node->number < min || node->number > max) {
        s_problem (parser, "'%s' takes a whole number from %d to %d", filter,
                   min, max);
        return -1;
    }
    *value = node->number;
    return 0;
}

static int
s_parse_filter (s_parser_t *parser, int input)
{
    s_skip_spaces (parser);
    size_t start = parser->at;
    while (s_is_letter (s_peek (parser)))
        parser->at++;
    size_t length = parser->at - start;
    int filter = -1;
    for (int index = 0; s_filter_names[index]; index++) {
        if (strlen (s_filter_names[index]) == length &&
            memcmp (s_filter_names[index], parser->text + start, length) == 0)
            filter = index;
    }
    if (filter < 0) {
        if (length == 0) {
            char where[64];
            s_where (parser, where, sizeof where);
            s_problem (parser,
                       "expected a filter name after '|' %s; filters are: "
                       "default, fixed, thousands, pad",
                       where);
        } else
            s_problem (parser,
                       "unknown filter '%.*s'; expected one of: default, "
                       "fixed, thousands, pad",
                       (int)length, parser->text + start);
        return -1;
    }
    const char *name = s_filter_names[filter];
    int arguments[2] = {-1, -1};
    int argument_count = 0;
    s_skip_spaces (parser);
    if (s_peek (parser) == ':') {
        parser->at++;
        while (1) {
            int argument = s_parse_literal (parser);
            if (argument < 0)
                return -1;
            if (argument_count == 2) {
                s_problem (parser, "'%s' takes at most one argument", name);
                return -1;
            }
            arguments[argument_count++] = argument;
            s_skip_spaces (parser);
            if (s_peek (parser) != ',')
                break;
            parser->at++;
        }
    }
    int node = s_add_node (parser, S_FILTER, input, -1);
    if (node < 0)
        return -1;
    s_node_t *target = &parser->expr->nodes[node];
    target->filter = (s_filter_t)filter;
    int wanted = filter == S_THOUSANDS ? -1 : 1; // -1: zero or one
    if ((wanted == 1 && argument_count != 1) || argument_count > 1) {
        if (filter == S_DEFAULT)
            s_problem (parser,
                       "'default' takes one value, such as default: \"-\" or "
                       "default: 0");
        else if (filter == S_THOUSANDS)
            s_problem (parser, "'thousands' takes at most one argument, the "
                               "separator (\",\" unless given)");
        else
            s_problem (parser, "'%s' takes one whole number, such as %s: %d",
                       name, name, filter == S_FIXED ? 2 : 6);
        return -1;
    }
    const s_node_t *argument =
        argument_count ? &parser->expr->nodes[arguments[0]] : NULL;
    if (filter == S_DEFAULT)
        target->right = arguments[0];
    else if (filter == S_FIXED)
        return s_whole_argument (parser, arguments[0], name, 0,
                                 EXPR_DECIMALS_MAX, &target->number)
                   ? -1
                   : node;
    else if (filter == S_PAD)
        return s_whole_argument (parser, arguments[0], name, 1, EXPR_PAD_MAX,
                                 &target->number)
                   ? -1
                   : node;
    else if (argument) {
        const char *separator = parser->expr->strings + argument->text;
        if (argument->op != S_STRING ||
            strlen (separator) > EXPR_SEPARATOR_MAX) {
            s_problem (parser,
                       "'thousands' takes a quoted separator of at most %d "
                       "bytes, such as thousands: \".\"",
                       EXPR_SEPARATOR_MAX);
            return -1;
        }
        target->text = argument->text;
        target->right = arguments[0];
    }
    return node;
}

static int
s_parse_expression (s_parser_t *parser)
{
    if (s_enter (parser))
        return -1;
    int node = s_parse_sum (parser);
    while (node >= 0) {
        s_skip_spaces (parser);
        if (s_peek (parser) != '|')
            break;
        parser->at++;
        node = s_parse_filter (parser, node);
    }
    parser->depth--;
    return node;
}

expr_t *
expr_compile (const char *source, size_t length, char *problem,
              size_t problem_size)
{
    assert (source);
    char ignored[EXPR_PROBLEM_MAX];
    if (!problem) {
        problem = ignored;
        problem_size = sizeof ignored;
    }
    problem[0] = '\0';
    while (length && (source[0] == ' ' || source[0] == '\t')) {
        source++;
        length--;
    }
    while (length && (source[length - 1] == ' ' || source[length - 1] == '\t'))
        length--;
    if (length == 0) {
        snprintf (problem, problem_size, "empty expression");
        return NULL;
    }
    expr_t *self = calloc (1, sizeof (expr_t));
    //  Each stored string comes from distinct source bytes, plus its NUL.
    if (self)
        self->strings = malloc (length + EXPR_NODES_MAX + 2);
    if (self)
        self->source = strndup (source, length);
    if (!self || !self->strings || !self->source) {
        expr_destroy (&self);
        snprintf (problem, problem_size, "out of memory");
        return NULL;
    }
    s_parser_t parser = {self, source, length, 0, 0, problem, problem_size, 0};
    self->root = s_parse_expression (&parser);
    if (self->root >= 0) {
        s_skip_spaces (&parser);
        if (parser.at < length) {
            char where[64];
            s_where (&parser, where, sizeof where);
            s_problem (&parser,
                       "unexpected text %s; values are joined by + - * /, "
                       "filters by |",
                       where);
        }
    }
    if (parser.failed || self->root < 0) {
        expr_destroy (&self);
        return NULL;
    }
    return self;
}

void
expr_destroy (expr_t **self_p)
{
    assert (self_p);
    expr_t *self = *self_p;
    if (!self)
        return;
    free (self->nodes);
    free (self->strings);
    free (self->source);
    free (self);
    *self_p = NULL;
}

const char *
expr_source (const expr_t *self)
{
    assert (self);
    return self->source;
}

int
expr_is_path (const expr_t *self)
{
    assert (self);
    return self->nodes[self->root].op == S_PATH;
}

size_t
expr_path_count (const expr_t *self)
{
    assert (self);
    return self->path_count;
}

size_t
expr_literal_count (const expr_t *self)
{
    assert (self);
    return self->literal_count;
}

const char *
expr_literal (const expr_t *self, size_t index)
{
    assert (self);
    for (size_t node = 0; node < self->node_count; node++) {
        if (self->nodes[node].op != S_STRING)
            continue;
        if (index-- == 0)
            return self->strings + self->nodes[node].text;
    }
    return NULL;
}

// ---------------------------------------------------------------------------
// Resolving paths

//  Where paths are looked up: the record or an item of one of its arrays.
//  Its JSON path ("records[4]", "records[4].items[3]") is only needed for
//  an error message, so it is built then, by s_scope_field: from field
//  when the caller knew it, else as item index of the array at path in
//  parent (inside sum()), else as the record.
typedef struct _s_scope_t {
    const cJSON *node;
    const char *field;               // or NULL
    const struct _s_scope_t *parent; // or NULL
    const char *path;                // with parent: the array's path in it
    int index;                       // with parent: the item's number
    uint32_t record_nbr;
    int is_item;
} s_scope_t;

static int
s_is_index (const char *segment, size_t length)
{
    for (size_t digit = 0; digit < length; digit++) {
        if (segment[digit] < '0' || segment[digit] > '9')
            return 0;
    }
    return length > 0;
}

//  Member or item of container named by segment (length bytes), or NULL.
static const cJSON *
s_lookup (const cJSON *container, const char *segment, size_t length)
{
    if (cJSON_IsObject (container)) {
        for (const cJSON *member = container->child; member;
             member = member->next) {
            //  The first byte tells most members apart without a call.
            if (member->string &&
                (length == 0 || member->string[0] == segment[0]) &&
                strncmp (member->string, segment, length) == 0 &&
                member->string[length] == '\0')
                return member;
        }
        return NULL;
    }
    if (cJSON_IsArray (container)) {
        if (length > S_INDEX_DIGITS_MAX || !s_is_index (segment, length))
            return NULL;
        long index = 0;
        for (size_t digit = 0; digit < length; digit++)
            index = index * 10 + (segment[digit] - '0');
        const cJSON *item = container->child;
        while (item && index > 0) {
            item = item->next;
            index--;
        }
        return item;
    }
    return NULL;
}

static size_t
s_segment_length (const char *segment)
{
    const char *dot = strchr (segment, '.');
    return dot ? (size_t)(dot - segment) : strlen (segment);
}

//  The value at path under node, or NULL with *failed_at the offset in
//  path of the segment not found and *parent the node it was looked for in.
static const cJSON *
s_resolve (const cJSON *node, const char *path, size_t *failed_at,
           const cJSON **parent)
{
    size_t offset = 0;
    while (1) {
        size_t length = s_segment_length (path + offset);
        const cJSON *next =
            node ? s_lookup (node, path + offset, length) : NULL;
        if (!next) {
            *failed_at = offset;
            *parent = node;
            return NULL;
        }
        node = next;
        offset += length;
        if (path[offset] == '\0')
            return node;
        offset++;
    }
}

static void
s_scope_field (const s_scope_t *scope, char *buffer, size_t size);

//  The JSON path of path in scope, array items as [i].
static void
s_field_of (const s_scope_t *scope, const char *path, char *buffer, size_t size)
{
    s_scope_field (scope, buffer, size);
    size_t used = strlen (buffer);
    const cJSON *node = scope->node;
    size_t offset = 0;
    while (used < size) {
        size_t length = s_segment_length (path + offset);
        int is_item =
            cJSON_IsArray (node) && s_is_index (path + offset, length);
        int written =
            snprintf (buffer + used, size - used, is_item ? "[%.*s]" : ".%.*s",
                      (int)length, path + offset);
        if (written < 0)
            break;
        used += (size_t)written;
        node = node ? s_lookup (node, path + offset, length) : NULL;
        offset += length;
        if (path[offset] == '\0')
            break;
        offset++;
    }
}

static void
s_scope_field (const s_scope_t *scope, char *buffer, size_t size)
{
    int written;
    if (scope->field)
        written = snprintf (buffer, size, "%s", scope->field);
    else if (scope->parent) {
        s_field_of (scope->parent, scope->path, buffer, size);
        size_t used = strlen (buffer);
        written = snprintf (buffer + used, size - used, "[%d]", scope->index);
    } else
        written =
            snprintf (buffer, size, "records[%u]", (unsigned)scope->record_nbr);
    //  A path too long for the buffer is cut: it only names a field.
    if (written < 0)
        buffer[0] = '\0';
}

static const char *
s_kind_name (const cJSON *node)
{
    if (cJSON_IsString (node))
        return "a string";
    if (cJSON_IsNumber (node))
        return "a number";
    if (cJSON_IsBool (node))
        return "a boolean";
    if (cJSON_IsNull (node))
        return "null";
    if (cJSON_IsObject (node))
        return "an object";
    if (cJSON_IsArray (node))
        return "an array";
    return "not a value";
}

static int
s_count_items (const cJSON *array)
{
    int count = 0;
    for (const cJSON *item = array->child; item; item = item->next)
        count++;
    return count;
}

static void
s_report_missing (const s_scope_t *scope, const char *path, size_t failed_at,
                  const cJSON *parent, const char *origin, fielderr_t *err)
{
    char field[FIELDERR_FIELD_MAX];
    s_field_of (scope, path, field, sizeof field);
    const char *segment = path + failed_at;
    int prefix = failed_at ? (int)failed_at - 1 : 0;
    if (failed_at == 0 && !cJSON_IsObject (parent)) {
        if (scope->is_item)
            fielderr_set (err, field,
                          "missing field '%s' used by %s: the item is %s, "
                          "not an object",
                          path, origin, s_kind_name (parent));
        else
            fielderr_set (err, field,
                          "missing field '%s' used by %s: the record is not "
                          "an object",
                          path, origin);
    } else if (cJSON_IsArray (parent)) {
        if (!s_is_index (segment, s_segment_length (segment)))
            fielderr_set (err, field,
                          "missing field '%s' used by %s: '%.*s' is an "
                          "array, so an item number must follow it",
                          path, origin, prefix, path);
        else
            fielderr_set (err, field,
                          "missing field '%s' used by %s: '%.*s' has %d "
                          "items, numbered from 0",
                          path, origin, prefix, path, s_count_items (parent));
    } else if (!cJSON_IsObject (parent))
        fielderr_set (err, field,
                      "missing field '%s' used by %s: '%.*s' is %s, not an "
                      "object",
                      path, origin, prefix, path, s_kind_name (parent));
    else
        fielderr_set (err, field, "missing field '%s' used by %s", path,
                      origin);
}

// ---------------------------------------------------------------------------
// Evaluating

typedef enum {
    S_MISSING,
    S_NULL,
    S_NUMBER_VALUE,
    S_STRING_VALUE,
    S_BOOL,
    S_ARRAY,
    S_OBJECT,
} s_kind_t;

typedef struct {
    s_kind_t kind;
    double number;
    const char *string;
    const cJSON *node;      // the record's value, when read by a path
    int path;               // node index of that path, or -1
    const s_scope_t *scope; // where the path was looked up
    size_t failed_at;       // S_MISSING: as s_resolve reports it
    const cJSON *parent;    // S_MISSING
    int computed;           // a result of arithmetic
    int decimals;           // "fixed", or -1
    int pad;                // "pad", or 0
    const char *separator;  // "thousands", or NULL
} s_value_t;

typedef struct {
    const expr_t *expr;
    const expr_scope_t *outer;
    const s_scope_t *record; // the scope of "$."
    const char *origin;
    fielderr_t *err;
    size_t items_visited;
} s_context_t;

static void
s_value_init (s_value_t *value, s_kind_t kind)
{
    memset (value, 0, sizeof (s_value_t));
    value->kind = kind;
    value->path = -1;
    value->decimals = -1;
}

static const char *
s_path_text (const s_context_t *context, const s_value_t *value)
{
    return context->expr->strings + context->expr->nodes[value->path].text;
}

static void
s_value_field (const s_context_t *context, const s_value_t *value, char *buffer,
               size_t size)
{
    s_field_of (value->scope, s_path_text (context, value), buffer, size);
}

static void
s_missing_error (const s_context_t *context, const s_value_t *value)
{
    s_report_missing (value->scope, s_path_text (context, value),
                      value->failed_at, value->parent, context->origin,
                      context->err);
}

//  Fill err: value cannot be used where `needs` says what is needed
//  ("'*' needs numbers").
static void
s_type_error (const s_context_t *context, const s_value_t *value,
              const char *needs)
{
    char got[JSONDOC_DESCRIBE_MAX];
    if (value->path >= 0) {
        char field[FIELDERR_FIELD_MAX];
        s_value_field (context, value, field, sizeof field);
        jsondoc_describe (value->node, got, sizeof got);
        fielderr_set (context->err, field, "field '%s' used by %s is %s; %s",
                      s_path_text (context, value), context->origin, got,
                      needs);
        return;
    }
    if (value->kind == S_STRING_VALUE)
        snprintf (got, sizeof got, "the string \"%.40s\"", value->string);
    else
        snprintf (got, sizeof got, "a value that is not a number");
    fielderr_set (context->err, context->origin, "in {{ %s }}, %s got %s",
                  context->expr->source, needs, got);
}

//  True when text is a decimal number in full: optional '-', digits, an
//  optional fraction and exponent; no spaces, no hex, no inf or nan.
static int
s_is_numeric (const char *text, double *number)
{
    const char *at = text;
    if (*at == '-')
        at++;
    int digits = 0;
    while (s_is_digit ((unsigned char)*at)) {
        at++;
        digits++;
    }
    if (*at == '.') {
        at++;
        while (s_is_digit ((unsigned char)*at)) {
            at++;
            digits++;
        }
    }
    if (digits == 0)
        return 0;
    if (*at == 'e' || *at == 'E') {
        at++;
        if (*at == '+' || *at == '-')
            at++;
        if (!s_is_digit ((unsigned char)*at))
            return 0;
        while (s_is_digit ((unsigned char)*at))
            at++;
    }
    if (*at != '\0')
        return 0;
    *number = strtod (text, NULL);
    return isfinite (*number);
}

//  value as a number: a number, or a string that is one in full.
static int
s_to_number (const s_context_t *context, s_value_t *value, const char *needs)
{
    if (value->kind == S_NUMBER_VALUE)
        return 0;
    double number;
    if (value->kind == S_STRING_VALUE &&
        s_is_numeric (value->string, &number)) {
        value->kind = S_NUMBER_VALUE;
        value->number = number;
        return 0;
    }
    s_type_error (context, value, needs);
    return -1;
}

static int
s_eval (s_context_t *context, int index, const s_scope_t *scope,
        s_value_t *value);

static int
s_eval_path (s_context_t *context, const s_node_t *node, int index,
             const s_scope_t *scope, s_value_t *value)
{
    const s_scope_t *base = node->rooted ? context->record : scope;
    const char *path = context->expr->strings + node->text;
    size_t failed_at = 0;
    const cJSON *parent = NULL;
    const cJSON *found = s_resolve (base->node, path, &failed_at, &parent);
    s_value_init (value, S_MISSING);
    value->path = index;
    value->scope = base;
    value->node = found;
    if (!found) {
        value->failed_at = failed_at;
        value->parent = parent;
        return 0;
    }
    if (cJSON_IsString (found)) {
        value->kind = S_STRING_VALUE;
        value->string = found->valuestring ? found->valuestring : "";
    } else if (cJSON_IsNumber (found)) {
        value->kind = S_NUMBER_VALUE;
        value->number = found->valuedouble;
        if (!isfinite (value->number)) {
            char field[FIELDERR_FIELD_MAX];
            s_value_field (context, value, field, sizeof field);
            fielderr_set (context->err, field,
                          "field '%s' used by %s is a number too large to "
                          "represent",
                          path, context->origin);
            return -1;
        }
    } else if (cJSON_IsBool (found))
        value->kind = S_BOOL;
    else if (cJSON_IsArray (found))
        value->kind = S_ARRAY;
    else if (cJSON_IsObject (found))
        value->kind = S_OBJECT;
    else
        value->kind = S_NULL;
    return 0;
}

static int
s_eval_arithmetic (s_context_t *context, const s_node_t *node,
                   const s_scope_t *scope, s_value_t *value)
{
    static const char *const needs[] = {
        [S_NEGATE] = "'-' needs a number",  [S_ADD] = "'+' needs numbers",
        [S_SUBTRACT] = "'-' needs numbers", [S_MULTIPLY] = "'*' needs numbers",
        [S_DIVIDE] = "'/' needs numbers",
    };
    s_value_t left, right;
    int rc = s_eval (context, node->left, scope, &left);
    if (rc)
        return -1;
    if (node->op == S_NEGATE)
        s_value_init (&right, S_NUMBER_VALUE);
    else {
        rc = s_eval (context, node->right, scope, &right);
        if (rc)
            return -1;
    }
    if (left.kind == S_MISSING || right.kind == S_MISSING) {
        *value = left.kind == S_MISSING ? left : right;
        return 0;
    }
    if (s_to_number (context, &left, needs[node->op]) ||
        s_to_number (context, &right, needs[node->op]))
        return -1;
    double result = 0;
    switch (node->op) {
    case S_NEGATE:
        result = -left.number;
        break;
    case S_ADD:
        result = left.number + right.number;
        break;
    case S_SUBTRACT:
        result = left.number - right.number;
        break;
    case S_MULTIPLY:
        result = left.number * right.number;
        break;
    default:
        if (right.number == 0) {
            char field[FIELDERR_FIELD_MAX];
            if (right.path >= 0)
                s_value_field (context, &right, field, sizeof field);
            else
                snprintf (field, sizeof field, "%s", context->origin);
            fielderr_set (context->err, field,
                          "{{ %s }} (used by %s) divides by zero for "
                          "records[%u]",
                          context->expr->source, context->origin,
                          (unsigned)context->outer->record_nbr);
            return -1;
        }
        result = left.number / right.number;
    }
    if (!isfinite (result)) {
        fielderr_set (context->err, context->origin,
                      "the result of {{ %s }} for records[%u] is too large to "
                      "represent",
                      context->expr->source,
                      (unsigned)context->outer->record_nbr);
        return -1;
    }
    s_value_init (value, S_NUMBER_VALUE);
    value->number = result;
    value->computed = 1;
    return 0;
}

//  sum() and count(): the array, then each item in a scope of its own.
static int
s_eval_aggregate (s_context_t *context, const s_node_t *node,
                  const s_scope_t *scope, s_value_t *value)
{
    const char *name = node->op == S_SUM ? "sum()" : "count()";
    s_value_t array;
    int rc = s_eval (context, node->left, scope, &array);
    if (rc)
        return -1;
    if (array.kind == S_MISSING) {
        *value = array;
        return 0;
    }
    if (array.kind != S_ARRAY) {
        char needs[64];
        snprintf (needs, sizeof needs, "%s needs an array", name);
        s_type_error (context, &array, needs);
        return -1;
    }
    int count = s_count_items (array.node);
    context->items_visited += (size_t)count;
    if (context->items_visited > EXPR_ITEMS_MAX) {
        fielderr_set (context->err, context->origin,
                      "{{ %s }} visits more than %d array items for "
                      "records[%u]",
                      context->expr->source, EXPR_ITEMS_MAX,
                      (unsigned)context->outer->record_nbr);
        return -1;
    }
    s_value_init (value, S_NUMBER_VALUE);
    value->computed = 1;
    if (node->op == S_COUNT) {
        value->number = count;
        return 0;
    }
    double total = 0;
    int item_nbr = 0;
    for (const cJSON *item = array.node->child; item; item = item->next) {
        s_scope_t item_scope = {item,
                                NULL,
                                array.scope,
                                s_path_text (context, &array),
                                item_nbr++,
                                context->outer->record_nbr,
                                1};
        s_value_t term;
        if (node->right >= 0) {
            rc = s_eval (context, node->right, &item_scope, &term);
            if (rc)
                return -1;
        } else {
            //  sum(prices): the items themselves, named as items.
            s_value_init (&term, S_NULL);
            if (cJSON_IsNumber (item)) {
                term.kind = S_NUMBER_VALUE;
                term.number = item->valuedouble;
            } else if (cJSON_IsString (item)) {
                term.kind = S_STRING_VALUE;
                term.string = item->valuestring ? item->valuestring : "";
            }
            if (term.kind == S_NULL || (term.kind == S_STRING_VALUE &&
                                        !s_is_numeric (term.string, &total))) {
                char got[JSONDOC_DESCRIBE_MAX];
                jsondoc_describe (item, got, sizeof got);
                char item_field[FIELDERR_FIELD_MAX];
                s_scope_field (&item_scope, item_field, sizeof item_field);
                fielderr_set (context->err, item_field,
                              "item of '%s' used by %s is %s; sum() needs "
                              "numbers",
                              s_path_text (context, &array), context->origin,
                              got);
                return -1;
            }
        }
        if (term.kind == S_MISSING) {
            s_missing_error (context, &term);
            return -1;
        }
        if (s_to_number (context, &term, "sum() needs numbers"))
            return -1;
        value->number += term.number;
    }
    if (!isfinite (value->number)) {
        fielderr_set (context->err, context->origin,
                      "the result of {{ %s }} for records[%u] is too large to "
                      "represent",
                      context->expr->source,
                      (unsigned)context->outer->record_nbr);
        return -1;
    }
    return 0;
}

static int
s_eval_filter (s_context_t *context, const s_node_t *node,
               const s_scope_t *scope, s_value_t *value)
{
    int rc = s_eval (context, node->left, scope, value);
    if (rc)
        return -1;
    if (node->filter == S_DEFAULT) {
        if (value->kind == S_MISSING || value->kind == S_NULL)
            return s_eval (context, node->right, scope, value);
        return 0;
    }
    if (value->kind == S_MISSING)
        return 0;
    if (node->filter == S_PAD) {
        if (value->kind != S_NUMBER_VALUE && value->kind != S_STRING_VALUE) {
            s_type_error (context, value, "'pad' needs a number or a string");
            return -1;
        }
        value->pad = (int)node->number;
        return 0;
    }
    const char *needs = node->filter == S_FIXED ? "'fixed' needs a number"
                                                : "'thousands' needs a number";
    if (s_to_number (context, value, needs))
        return -1;
    if (node->filter == S_FIXED)
        value->decimals = (int)node->number;
    else
        value->separator =
            node->right >= 0 ? context->expr->strings + node->text : ",";
    return 0;
}

static int
s_eval (s_context_t *context, int index, const s_scope_t *scope,
        s_value_t *value)
{
    const s_node_t *node = &context->expr->nodes[index];
    switch (node->op) {
    case S_NUMBER:
        s_value_init (value, S_NUMBER_VALUE);
        value->number = node->number;
        return 0;
    case S_STRING:
        s_value_init (value, S_STRING_VALUE);
        value->string = context->expr->strings + node->text;
        return 0;
    case S_PATH:
        return s_eval_path (context, node, index, scope, value);
    case S_PAGE:
    case S_PAGES:
        s_value_init (value, S_NUMBER_VALUE);
        value->number =
            node->op == S_PAGE ? context->outer->page : context->outer->pages;
        return 0;
    case S_SUM:
    case S_COUNT:
        return s_eval_aggregate (context, node, scope, value);
    case S_FILTER:
        return s_eval_filter (context, node, scope, value);
    default:
        return s_eval_arithmetic (context, node, scope, value);
    }
}

// ---------------------------------------------------------------------------
// Formatting

//  What snprintf's "%lld" writes, without its cost (every page formats
//  numbers, at intake and in the worker).
static size_t
s_format_integer (long long value, char *buffer)
{
    char reversed[24];
    size_t count = 0;
    unsigned long long magnitude = value < 0 ? 0ULL - (unsigned long long)value
                                             : (unsigned long long)value;
    do {
        reversed[count++] = (char)('0' + magnitude % 10);
        magnitude /= 10;
    } while (magnitude);
    size_t used = 0;
    if (value < 0)
        buffer[used++] = '-';
    while (count)
        buffer[used++] = reversed[--count];
    buffer[used] = '\0';
    return used;
}

size_t
expr_format_number (double number, char *buffer)
{
    if (number == floor (number) && fabs (number) < S_INTEGER_EXACT_MAX)
        return s_format_integer ((long long)number, buffer);
    int written = 0;
    for (int precision = 15; precision <= 17; precision++) {
        written = snprintf (buffer, EXPR_NUMBER_MAX, "%.*g", precision, number);
        if (strtod (buffer, NULL) == number)
            break;
    }
    return written > 0 ? (size_t)written : 0;
}

//  A computed result without formatting: integers as integers, others
//  with 15 significant digits, which hides binary noise (0.1 + 0.2).
static size_t
s_format_computed (double number, char *buffer)
{
    if (number == floor (number) && fabs (number) < S_INTEGER_EXACT_MAX)
        return expr_format_number (number, buffer);
    int written = snprintf (buffer, EXPR_NUMBER_MAX, "%.15g", number);
    return written > 0 ? (size_t)written : 0;
}

static size_t
s_format_value (const s_value_t *value, char *buffer)
{
    double number = value->number;
    int formatted = value->decimals >= 0 || value->separator || value->pad;
    if (!formatted || fabs (number) >= S_FORMAT_LIMIT)
        return value->computed ? s_format_computed (number, buffer)
                               : expr_format_number (number, buffer);
    char digits[EXPR_NUMBER_MAX];
    if (value->decimals >= 0)
        snprintf (digits, sizeof digits, "%.*f", value->decimals,
                  fabs (number));
    else if (value->computed)
        s_format_computed (fabs (number), digits);
    else
        expr_format_number (fabs (number), digits);
    if (strchr (digits, 'e'))
        return value->computed ? s_format_computed (number, buffer)
                               : expr_format_number (number, buffer);
    //  "-0.00" is written without its sign.
    int negative = number < 0 && strspn (digits, "0.") < strlen (digits);
    const char *point = strchr (digits, '.');
    size_t whole = point ? (size_t)(point - digits) : strlen (digits);
    size_t zeros = value->pad > 0 && (size_t)value->pad > whole
                       ? (size_t)value->pad - whole
                       : 0;
    size_t total = whole + zeros; // digits before the point, padded
    size_t used = 0;
    if (negative)
        buffer[used++] = '-';
    size_t separator_length = value->separator ? strlen (value->separator) : 0;
    for (size_t digit = 0; digit < total; digit++) {
        if (digit > 0 && separator_length && (total - digit) % 3 == 0) {
            memcpy (buffer + used, value->separator, separator_length);
            used += separator_length;
        }
        buffer[used++] = digit < zeros ? '0' : digits[digit - zeros];
    }
    if (point) {
        size_t rest = strlen (point);
        memcpy (buffer + used, point, rest);
        used += rest;
    }
    buffer[used] = '\0';
    return used;
}

//  value padded on the left with '0' to its pad width in characters.
static size_t
s_pad_string (const char *text, int pad, char *buffer, size_t size)
{
    size_t characters = 0;
    for (const char *at = text; *at; at++)
        if (((unsigned char)*at & 0xC0) != 0x80)
            characters++;
    size_t zeros = (size_t)pad > characters ? (size_t)pad - characters : 0;
    //  Only reached when the text is shorter than EXPR_PAD_MAX characters,
    //  which fits buffer.
    int written =
        snprintf (buffer, size, "%.*s%s", (int)zeros,
                  "00000000000000000000000000000000000000000000000000", text);
    return written > 0 ? (size_t)written : 0;
}

//  The record's scope and the current one (the row's item, or the record).
static void
s_scopes (const expr_scope_t *outer, s_scope_t *record, s_scope_t *current)
{
    memset (record, 0, sizeof *record);
    record->node = outer->record;
    record->record_nbr = outer->record_nbr;
    *current = *record;
    if (outer->item) {
        current->node = outer->item;
        current->field = outer->item_field;
        current->is_item = 1;
    }
}

//  Evaluate the whole expression of context into value. record (which
//  context->record points at) and current are the caller's storage, filled
//  here; value may point into them. Returns -1 with err filled when
//  evaluation fails or the value is missing from the record.
static int
s_eval_present (s_context_t *context, s_scope_t *record, s_scope_t *current,
                s_value_t *value)
{
    s_scopes (context->outer, record, current);
    if (s_eval (context, context->expr->root, current, value))
        return -1;
    if (value->kind == S_MISSING) {
        s_missing_error (context, value);
        return -1;
    }
    return 0;
}

int
expr_eval_text (const expr_t *self, const expr_scope_t *scope,
                const char *origin, expr_text_t *out, fielderr_t *err)
{
    assert (self);
    assert (scope);
    assert (out);
    if (!origin)
        origin = "";
    out->text = "";
    out->length = 0;
    out->path = NULL;
    s_scope_t record, current;
    s_context_t context = {self, scope, &record, origin, err, 0};
    s_value_t value;
    if (s_eval_present (&context, &record, &current, &value) == -1)
        return -1;
    if (value.kind == S_NULL || value.kind == S_ARRAY ||
        value.kind == S_OBJECT) {
        char field[FIELDERR_FIELD_MAX];
        s_value_field (&context, &value, field, sizeof field);
        fielderr_set (err, field,
                      "field '%s' used by %s is %s; expected a string, number "
                      "or boolean",
                      s_path_text (&context, &value), origin,
                      s_kind_name (value.node));
        return -1;
    }
    if (value.kind == S_BOOL) {
        out->text = cJSON_IsTrue (value.node) ? "true" : "false";
        out->length = strlen (out->text);
        return 0;
    }
    if (value.kind == S_NUMBER_VALUE) {
        out->length = s_format_value (&value, out->number);
        out->text = out->number;
        return 0;
    }
    if (value.path >= 0) {
        out->path = s_path_text (&context, &value);
        out->base = value.scope->node;
        out->base_field = value.scope->field;
        out->record_nbr = scope->record_nbr;
        if (strnlen (value.string, EXPR_VALUE_MAX + 1) > EXPR_VALUE_MAX) {
            char field[FIELDERR_FIELD_MAX];
            expr_text_field (out, field, sizeof field);
            fielderr_set (err, field,
                          "field '%s' used by %s is longer than the %d bytes "
                          "a text may insert",
                          s_path_text (&context, &value), origin,
                          EXPR_VALUE_MAX);
            return -1;
        }
    }
    //  A string of EXPR_PAD_MAX * 4 bytes has EXPR_PAD_MAX characters.
    if (value.pad > 0 &&
        strnlen (value.string, EXPR_PAD_MAX * 4) < EXPR_PAD_MAX * 4) {
        out->length = s_pad_string (value.string, value.pad, out->number,
                                    sizeof out->number);
        out->text = out->number;
        return 0;
    }
    out->text = value.string;
    out->length = strlen (value.string);
    return 0;
}

int
expr_eval_array (const expr_t *self, const expr_scope_t *scope,
                 const char *origin, const char *what, const cJSON **array,
                 char *field, size_t size, fielderr_t *err)
{
    assert (self);
    assert (scope);
    if (!origin)
        origin = "";
    s_scope_t record, current;
    s_context_t context = {self, scope, &record, origin, err, 0};
    s_value_t value;
    if (s_eval_present (&context, &record, &current, &value) == -1)
        return -1;
    if (value.kind != S_ARRAY) {
        char needs[64];
        snprintf (needs, sizeof needs, "%s need an array", what);
        s_type_error (&context, &value, needs);
        return -1;
    }
    s_value_field (&context, &value, field, size);
    *array = value.node;
    return 0;
}

void
expr_text_field (const expr_text_t *text, char *buffer, size_t size)
{
    assert (text);
    assert (buffer && size);
    buffer[0] = '\0';
    if (!text->path)
        return;
    s_scope_t scope = {text->base,       text->base_field,        NULL, NULL, 0,
                       text->record_nbr, text->base_field != NULL};
    s_field_of (&scope, text->path, buffer, size);
}
