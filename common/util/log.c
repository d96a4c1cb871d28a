/*  log - the one way pdfpipe processes write log lines.

    Text format: zsys prints to stderr with a timestamp and level; we keep
    that format and only add the debug switch, which zsys lacks.

    JSON format: our own lines are formatted here and written straight to
    stderr. czmq logs through zsys too (zauth, zsys_shutdown), outside our
    functions; its log stream becomes a stdio cookie stream whose writes
    are cut into lines and turned into the same objects, so no plain line
    slips between the json ones. stdio holds the stream's lock while it
    calls the cookie, which guards the partial line kept here.

    SPDX-License-Identifier: MPL-2.0
*/
//  fopencookie is a GNU extension.
#define _GNU_SOURCE
#include "log.h"

#include "bytebuf.h"
#include "jsonstr.h"
#include "utf8.h"

#include <assert.h>
#include <ctype.h>
#include <czmq.h>
#include <errno.h>
#include <stdarg.h>
#include <time.h>
#include <unistd.h>

//  Bytes of the process name kept.
#define S_PROCESS_MAX 128
//  The longest czmq line kept whole; zsys itself cuts lines at 1024.
#define S_ZSYS_LINE_MAX 4096
//  Bytes of zsys's date, "26-01-02 03:04:05".
#define S_ZSYS_DATE_SIZE 17

const char *const LOG_FORMAT_NAMES[] = {"text", "json", NULL};

static bool s_verbose = false;
static int s_format = LOG_FORMAT_TEXT;
static char s_process[S_PROCESS_MAX] = "pdfpipe";
static FILE *s_zsys_stream = NULL; // json format: where zsys writes
static bytebuf_t s_zsys_line;      // a czmq line not yet ended

//  Write all of data to stderr, in one write(2) unless it is cut short.
static void
s_write_stderr (const char *data, size_t size)
{
    while (size > 0) {
        ssize_t written = write (STDERR_FILENO, data, size);
        if (written < 0 && errno == EINTR)
            continue;
        if (written <= 0)
            return; // nowhere left to say so
        data += written;
        size -= (size_t)written;
    }
}

//  text[0 .. size) with every byte that does not start a valid UTF-8
//  sequence replaced by U+FFFD, appended to out.
static void
s_append_valid_utf8 (bytebuf_t *out, const char *text, size_t size)
{
    static const char replacement[] = "\xEF\xBF\xBD";
    while (size > 0) {
        size_t valid = utf8_invalid_at (text, size);
        bytebuf_append (out, text, valid);
        if (valid == size)
            return;
        bytebuf_append (out, replacement, sizeof (replacement) - 1);
        text += valid + 1;
        size -= valid + 1;
    }
}

//  Append text as a JSON string, invalid UTF-8 replaced.
static void
s_append_string (bytebuf_t *out, const char *text, size_t size)
{
    bytebuf_t valid = {0};
    s_append_valid_utf8 (&valid, text, size);
    if (valid.failed)
        out->failed = true;
    else
        jsonstr_append (out, valid.size ? (const char *)valid.data : "",
                        valid.size);
    bytebuf_free (&valid);
}

static bool
s_word_char (char c)
{
    return isalnum ((unsigned char)c) || c == '_' || c == '-' || c == '.';
}

//  The value of the first word name=value in message: its start, and its
//  length in *size, without trailing punctuation (the colon of "job=J:").
//  NULL when there is none or its value is empty.
static const char *
s_word_value (const char *message, const char *name, size_t *size)
{
    size_t name_size = strlen (name);
    const char *found = strstr (message, name);
    while (found) {
        const char *value = found + name_size;
        bool word_start = found == message || !s_word_char (found[-1]);
        if (word_start && *value == '=') {
            value++;
            size_t length = strcspn (value, " \t\r\n");
            while (length > 0 && strchr (",;:.)]'\"", value[length - 1]))
                length--;
            if (length > 0) {
                *size = length;
                return value;
            }
        }
        found = strstr (found + 1, name);
    }
    return NULL;
}

static bool
s_all_digits (const char *text, size_t size)
{
    //  More than 18 digits might not fit the reader's integers.
    if (size == 0 || size > 18)
        return false;
    for (size_t index = 0; index < size; index++)
        if (!isdigit ((unsigned char)text[index]))
            return false;
    return true;
}

//  ,"name":<value of name= in message>, when the message has one.
static void
s_append_word (bytebuf_t *out, const char *message, const char *name,
               bool number)
{
    size_t size = 0;
    const char *value = s_word_value (message, name, &size);
    if (!value)
        return;
    bytebuf_append_str (out, ",\"");
    bytebuf_append_str (out, name);
    bytebuf_append_str (out, "\":");
    if (number && s_all_digits (value, size))
        bytebuf_append (out, value, size);
    else
        s_append_string (out, value, size);
}

char *
log_json_line (const char *process, const char *level, const char *message,
               int64_t time_ms)
{
    assert (process);
    assert (level);
    assert (message);
    time_t seconds = (time_t)(time_ms / 1000);
    struct tm utc;
    char stamp[64] = "1970-01-01T00:00:00";
    if (gmtime_r (&seconds, &utc))
        strftime (stamp, sizeof (stamp), "%Y-%m-%dT%H:%M:%S", &utc);
    char millis[8];
    snprintf (millis, sizeof (millis), ".%03dZ", (int)(time_ms % 1000));

    size_t message_size = utf8_cut (message, strlen (message), LOG_MESSAGE_MAX);
    bytebuf_t out = {0};
    bytebuf_append_str (&out, "{\"time\":\"");
    bytebuf_append_str (&out, stamp);
    bytebuf_append_str (&out, millis);
    bytebuf_append_str (&out, "\",\"level\":\"");
    bytebuf_append_str (&out, level);
    bytebuf_append_str (&out, "\",\"process\":");
    s_append_string (&out, process, strlen (process));
    bytebuf_append_str (&out, ",\"message\":");
    s_append_string (&out, message, message_size);
    s_append_word (&out, message, "job", false);
    s_append_word (&out, message, "chunk", true);
    s_append_word (&out, message, "worker", false);
    bytebuf_append_str (&out, "}\n");
    return bytebuf_detach (&out);
}

static int64_t
s_now_ms (void)
{
    struct timespec now;
    clock_gettime (CLOCK_REALTIME, &now);
    return (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

static void
s_write_json (const char *level, const char *message)
{
    char *line = log_json_line (s_process, level, message, s_now_ms ());
    if (line) {
        s_write_stderr (line, strlen (line));
        free (line);
    }
}

//  Whether text starts with zsys's date, "26-01-02 03:04:05 ".
static bool
s_zsys_date (const char *text)
{
    const char *shape = "00-00-00 00:00:00 ";
    for (size_t index = 0; shape[index]; index++) {
        bool digit = shape[index] == '0';
        if (digit ? !isdigit ((unsigned char)text[index])
                  : text[index] != shape[index])
            return false;
    }
    return true;
}

//  One whole line zsys wrote ("W: (ident) 26-01-02 03:04:05 text"), as
//  json: its level from the letter, the text as the message. A line of
//  another shape is kept whole, at level info.
static void
s_zsys_line_to_json (const char *line)
{
    const char *level = "info";
    const char *message = line;
    if (line[0] && strchr ("EWNID", line[0]) && line[1] == ':' &&
        line[2] == ' ') {
        level = line[0] == 'E'   ? "error"
                : line[0] == 'W' ? "warning"
                : line[0] == 'D' ? "debug"
                                 : "info";
        message = line + 3;
        size_t process_size = strlen (s_process);
        if (message[0] == '(' &&
            strncmp (message + 1, s_process, process_size) == 0 &&
            strncmp (message + 1 + process_size, ") ", 2) == 0)
            message += process_size + 3;
        if (s_zsys_date (message))
            message += S_ZSYS_DATE_SIZE + 1;
    }
    s_write_json (level, message);
}

static ssize_t
s_zsys_write (void *cookie, const char *data, size_t size)
{
    (void)cookie;
    for (size_t index = 0; index < size; index++) {
        if (data[index] == '\n') {
            if (s_zsys_line.size > 0 && !s_zsys_line.failed)
                s_zsys_line_to_json ((const char *)s_zsys_line.data);
            bytebuf_reset (&s_zsys_line);
        } else if (s_zsys_line.size < S_ZSYS_LINE_MAX)
            bytebuf_append (&s_zsys_line, data + index, 1);
    }
    return (ssize_t)size;
}

//  Point zsys at stderr, or in json format at our converter.
static void
s_set_zsys_stream (void)
{
    if (s_format == LOG_FORMAT_JSON && !s_zsys_stream) {
        cookie_io_functions_t functions = {.write = s_zsys_write};
        s_zsys_stream = fopencookie (NULL, "w", functions);
        if (s_zsys_stream)
            setvbuf (s_zsys_stream, NULL, _IOLBF, 0);
    }
    if (s_format == LOG_FORMAT_JSON && s_zsys_stream)
        zsys_set_logstream (s_zsys_stream);
    else
        zsys_set_logstream (stderr);
}

void
log_init (const char *process_name, bool verbose)
{
    assert (process_name);
    s_verbose = verbose;
    snprintf (s_process, sizeof (s_process), "%s", process_name);
    zsys_set_logident (process_name);
    s_set_zsys_stream ();
}

void
log_set_format (int format)
{
    assert (format == LOG_FORMAT_TEXT || format == LOG_FORMAT_JSON);
    s_format = format;
    s_set_zsys_stream ();
}

//  Format the message, then hand it to zsys (text) or write it as json.
//  errno is as it was: a caller logs a failure, then reports its errno.
#define S_LOG_BODY(sink, level)                                                \
    int saved_errno = errno;                                                   \
    va_list args;                                                              \
    va_start (args, format);                                                   \
    char *line = zsys_vprintf (format, args);                                  \
    va_end (args);                                                             \
    if (line && s_format == LOG_FORMAT_JSON)                                   \
        s_write_json (level, line);                                            \
    else if (line)                                                             \
        sink ("%s", line);                                                     \
    zstr_free (&line);                                                         \
    errno = saved_errno;

void
log_error (const char *format, ...)
{
    S_LOG_BODY (zsys_error, "error")
}

void
log_warning (const char *format, ...)
{
    S_LOG_BODY (zsys_warning, "warning")
}

void
log_info (const char *format, ...)
{
    S_LOG_BODY (zsys_info, "info")
}

void
log_debug (const char *format, ...)
{
    if (!s_verbose)
        return;
    S_LOG_BODY (zsys_debug, "debug")
}
