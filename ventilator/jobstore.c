/*  jobstore - durable job state: the source of truth for every job's status.

    Schema (PRAGMA user_version 2): jobs (one row per job, state as its
    name, where its result goes), transitions (job_id, state, at: when the job
    first entered each state) and chunks (job_id, chunk_nbr: page range,
    stored flag; records_json, now always empty, holds the records of jobs
    stored before they had records files). Times are ms since the Unix
    epoch, UTC. Every statement
   is prepared once per handle and bound with parameters; no value is ever
    pasted into SQL text. Writes take the write lock up front (BEGIN
    IMMEDIATE), so two handles never deadlock upgrading a read lock.
    Version 2 added the output columns; a version 1 database is upgraded
    in place when it is opened (its jobs keep the default output). The
    file uses incremental auto-vacuum, so that the pages of ended jobs
    deleted by the retention sweep (ventilator/retention) leave it; a
    database made before is rebuilt once, when opened, to use it.

    SPDX-License-Identifier: MPL-2.0
*/
#include "jobstore.h"

#include <assert.h>
#include <cjson/cJSON.h>
#include <errno.h>
#include <sqlite3.h>
#include <string.h>
#include <sys/stat.h>

#include "chunkplan.h"
#include "jobprogress.h"
#include "log.h"
#include "output.h"
#include "redact.h"
#include "timestamp.h"

#define S_SCHEMA_VERSION 2
//  A job's priority when its document gives none (JOBSPEC_PRIORITY_DEFAULT).
#define S_PRIORITY_DEFAULT "10"
#define S_ERROR_SHOWN_MAX 2048 // bytes of a job's error text kept
//  PRAGMA auto_vacuum's value for INCREMENTAL.
#define S_AUTO_VACUUM_INCREMENTAL 2

static const char *s_schema =
    "CREATE TABLE jobs ("
    "    id TEXT PRIMARY KEY NOT NULL,"
    "    state TEXT NOT NULL CHECK (state IN ('queued', 'rendering',"
    "        'merging', 'storing', 'done', 'failed', 'cancelled')),"
    "    created_at INTEGER NOT NULL,"
    "    pages INTEGER NOT NULL,"
    "    chunk_pages INTEGER NOT NULL,"
    "    chunk_count INTEGER NOT NULL,"
    "    pages_done INTEGER NOT NULL DEFAULT 0,"
    "    chunks_done INTEGER NOT NULL DEFAULT 0,"
    "    error TEXT,"
    "    result_location TEXT,"
    "    result_bytes INTEGER,"
    "    template_json TEXT NOT NULL);"
    "CREATE INDEX jobs_by_state ON jobs (state);"
    "CREATE TABLE transitions ("
    "    job_id TEXT NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,"
    "    state TEXT NOT NULL,"
    "    at INTEGER NOT NULL,"
    "    PRIMARY KEY (job_id, state));"
    "CREATE TABLE chunks ("
    "    job_id TEXT NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,"
    "    chunk_nbr INTEGER NOT NULL,"
    "    first_page INTEGER NOT NULL,"
    "    page_count INTEGER NOT NULL,"
    "    records_json TEXT NOT NULL,"
    "    stored INTEGER NOT NULL DEFAULT 0,"
    "    PRIMARY KEY (job_id, chunk_nbr));"
    "PRAGMA user_version = 1;";

//  From version 1 to 2: where each job's result goes, rendered from the
//  document's "output" when the job was accepted. NULL key: the default,
//  "<id>.pdf".
static const char *s_upgrade_to_2 =
    "ALTER TABLE jobs ADD COLUMN output_key TEXT;"
    "ALTER TABLE jobs ADD COLUMN output_filename TEXT;"
    "PRAGMA user_version = 2;";

//  Webhook deliveries (ventilator/webhook), one row per job that names a
//  webhook, written with the job: ended_at and next_at stay NULL until
//  the job ends, then next_at is when the next attempt is due (pushed
//  ahead while one is in flight, so a crash retries it); the body is the
//  event, made once at the first attempt so every attempt sends the same.
//  Created on open if missing, whatever the schema version, so no
//  upgrade step is needed.
static const char *s_webhooks_schema =
    "CREATE TABLE IF NOT EXISTS webhooks ("
    "    job_id TEXT PRIMARY KEY NOT NULL"
    "        REFERENCES jobs (id) ON DELETE CASCADE,"
    "    url TEXT NOT NULL,"
    "    outcome TEXT NOT NULL DEFAULT 'pending' CHECK (outcome IN"
    "        ('pending', 'delivered', 'gave_up')),"
    "    ended_at INTEGER,"
    "    next_at INTEGER,"
    "    attempts INTEGER NOT NULL DEFAULT 0,"
    "    body TEXT,"
    "    last_error TEXT,"
    "    finished_at INTEGER);"
    "CREATE INDEX IF NOT EXISTS webhooks_due ON webhooks (outcome, next_at);";

//  Statements, prepared on first use and kept for the handle's life.
typedef enum {
    S_BEGIN_READ,
    S_BEGIN_WRITE,
    S_COMMIT,
    S_ROLLBACK,
    S_INSERT_JOB,
    S_INSERT_TRANSITION,
    S_INSERT_CHUNK,
    S_SELECT_JOB,
    S_SELECT_STATE,
    S_SELECT_TEMPLATE,
    S_SELECT_RECORDS,
    S_SELECT_TRANSITIONS,
    S_SELECT_STORED,
    S_SELECT_ACTIVE,
    S_SELECT_CHUNK,
    S_UPDATE_STATE,
    S_UPDATE_RESULT,
    S_MARK_STORED,
    S_ADD_DONE,
    S_SELECT_OUTPUT,
    S_COUNT_STATES,
    S_SELECT_OWNER,
    S_SELECT_EXPIRED,
    S_DELETE_CHUNKS,
    S_DELETE_JOB,
    S_LIST_ALL,
    S_LIST_OWNED,
    S_RECENT_DONE,
    S_SELECT_DONE,
    S_STMT_COUNT
} s_stmt_id_t;

#define S_NOT_TERMINAL "state NOT IN ('done', 'failed', 'cancelled')"
//  The job's state is in the bit set ?3 (bit n: jobstate_t n), or ?3 is 0.
#define S_IN_STATES                                                            \
    "(?3 = 0 OR (?3 >> CASE state WHEN 'queued' THEN 0 WHEN 'rendering'"       \
    " THEN 1 WHEN 'merging' THEN 2 WHEN 'storing' THEN 3 WHEN 'done' THEN 4"   \
    " WHEN 'failed' THEN 5 ELSE 6 END) & 1)"

static const char *s_sql[S_STMT_COUNT] = {
    [S_BEGIN_READ] = "BEGIN",
    [S_BEGIN_WRITE] = "BEGIN IMMEDIATE",
    [S_COMMIT] = "COMMIT",
    [S_ROLLBACK] = "ROLLBACK",
    [S_INSERT_JOB] = "INSERT INTO jobs (id, state, created_at, pages,"
                     " chunk_pages, chunk_count, template_json, output_key,"
                     " output_filename, priority, owner)"
                     " VALUES (?1, 'queued', ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9,"
                     " ?10)",
    [S_INSERT_TRANSITION] = "INSERT OR IGNORE INTO transitions"
                            " (job_id, state, at) VALUES (?1, ?2, ?3)",
    [S_INSERT_CHUNK] = "INSERT INTO chunks (job_id, chunk_nbr, first_page,"
                       " page_count, records_json)"
                       " VALUES (?1, ?2, ?3, ?4, '')",
    [S_SELECT_JOB] = "SELECT state, pages, chunk_pages, chunk_count,"
                     " chunks_done, pages_done, created_at, error,"
                     " result_location, result_bytes, priority"
                     " FROM jobs WHERE id = ?1",
    [S_SELECT_STATE] = "SELECT state FROM jobs WHERE id = ?1",
    [S_SELECT_TEMPLATE] = "SELECT template_json FROM jobs WHERE id = ?1",
    [S_SELECT_RECORDS] = "SELECT records_json FROM chunks"
                         " WHERE job_id = ?1 AND chunk_nbr = ?2"
                         " AND records_json <> ''",
    [S_SELECT_TRANSITIONS] = "SELECT state, at FROM transitions"
                             " WHERE job_id = ?1 ORDER BY at, rowid",
    [S_SELECT_STORED] = "SELECT chunk_nbr FROM chunks"
                        " WHERE job_id = ?1 AND stored = 1",
    [S_COUNT_STATES] = "SELECT state, count (*) FROM jobs GROUP BY state",
    [S_SELECT_ACTIVE] = "SELECT id FROM jobs WHERE " S_NOT_TERMINAL
                        " ORDER BY created_at, rowid",
    [S_SELECT_DONE] = "SELECT id FROM jobs WHERE state = 'done'",
    [S_SELECT_CHUNK] = "SELECT 1 FROM chunks"
                       " WHERE job_id = ?1 AND chunk_nbr = ?2",
    [S_UPDATE_STATE] = "UPDATE jobs SET state = ?2,"
                       " error = coalesce (?3, error)"
                       " WHERE id = ?1 AND " S_NOT_TERMINAL,
    [S_UPDATE_RESULT] = "UPDATE jobs SET state = 'done',"
                        " result_location = ?2, result_bytes = ?3"
                        " WHERE id = ?1 AND " S_NOT_TERMINAL,
    [S_MARK_STORED] = "UPDATE chunks SET stored = 1"
                      " WHERE job_id = ?1 AND chunk_nbr = ?2 AND stored = 0"
                      " RETURNING page_count",
    [S_ADD_DONE] = "UPDATE jobs SET chunks_done = chunks_done + 1,"
                   " pages_done = pages_done + ?2 WHERE id = ?1",
    [S_SELECT_OUTPUT] = "SELECT output_key, output_filename FROM jobs"
                        " WHERE id = ?1",
    [S_SELECT_OWNER] = "SELECT owner FROM jobs WHERE id = ?1",
    //  When a job ended: when it entered the terminal state it is in.
    [S_SELECT_EXPIRED] =
        "SELECT jobs.id FROM jobs JOIN transitions"
        " ON transitions.job_id = jobs.id"
        " AND transitions.state = jobs.state"
        " WHERE NOT jobs." S_NOT_TERMINAL " AND transitions.at < ?1"
        " ORDER BY transitions.at LIMIT ?2",
    //  A batch of an ended job's chunks.
    [S_DELETE_CHUNKS] = "DELETE FROM chunks WHERE rowid IN (SELECT"
                        " chunks.rowid FROM chunks JOIN jobs"
                        " ON jobs.id = chunks.job_id WHERE chunks.job_id = ?1"
                        " AND NOT jobs." S_NOT_TERMINAL " LIMIT ?2)",
    //  Its transitions go with it, and chunks left (ON DELETE CASCADE).
    [S_DELETE_JOB] = "DELETE FROM jobs WHERE id = ?1 AND NOT " S_NOT_TERMINAL,
    //  The job list, newest first, walked down an index from the cursor
    //  (?1, ?2); ?3 is a bit set of states by jobstate_t (0: all).
    [S_LIST_ALL] = "SELECT id FROM jobs INDEXED BY jobs_by_created"
                   " WHERE (created_at, id) < (?1, ?2) AND " S_IN_STATES
                   " ORDER BY created_at DESC, id DESC LIMIT ?4",
    [S_LIST_OWNED] =
        "SELECT id FROM jobs INDEXED BY jobs_by_owner"
        " WHERE owner = ?5 AND (created_at, id) < (?1, ?2)"
        " AND " S_IN_STATES " ORDER BY created_at DESC, id DESC LIMIT ?4",
    //  The newest done jobs, down the same index: pages, bytes, and ms
    //  from rendering to done.
    [S_RECENT_DONE] =
        "SELECT jobs.pages, jobs.result_bytes, done.at - rendering.at"
        " FROM jobs INDEXED BY jobs_by_created"
        " JOIN transitions AS rendering ON rendering.job_id = jobs.id"
        " AND rendering.state = 'rendering'"
        " JOIN transitions AS done ON done.job_id = jobs.id"
        " AND done.state = 'done'"
        " WHERE jobs.state = 'done' AND jobs.result_bytes IS NOT NULL"
        " ORDER BY jobs.created_at DESC, jobs.id DESC LIMIT ?1",
};

struct _jobstore_t {
    sqlite3 *db;
    char *path; // data_dir/jobs.db, for log lines
    sqlite3_stmt *stmts[S_STMT_COUNT];
};

//  The cached statement id, reset and ready for binding; NULL (logged) if
//  it cannot be prepared, which means the schema and the code disagree.
static sqlite3_stmt *
s_stmt (jobstore_t *self, s_stmt_id_t id)
{
    sqlite3_stmt *stmt = self->stmts[id];
    if (!stmt) {
        int rc = sqlite3_prepare_v3 (self->db, s_sql[id], -1,
                                     SQLITE_PREPARE_PERSISTENT, &stmt, NULL);
        if (rc != SQLITE_OK) {
            log_error ("jobstore: %s: cannot prepare '%s': %s", self->path,
                       s_sql[id], sqlite3_errmsg (self->db));
            return NULL;
        }
        self->stmts[id] = stmt;
    }
    return stmt;
}

//  Make a statement reusable and drop its bindings, which may point into
//  the caller's strings.
static void
s_release (sqlite3_stmt *stmt)
{
    sqlite3_reset (stmt);
    sqlite3_clear_bindings (stmt);
}

//  Run a statement that returns no rows. Returns 0 or -1 (logged with what
//  and job_id). The statement is released either way.
static int
s_exec (jobstore_t *self, sqlite3_stmt *stmt, const char *what,
        const char *job_id)
{
    int rc = sqlite3_step (stmt);
    s_release (stmt);
    if (rc != SQLITE_DONE) {
        log_error ("jobstore: job=%s: %s failed: %s", job_id ? job_id : "-",
                   what, sqlite3_errmsg (self->db));
        return -1;
    }
    return 0;
}

static int
s_run (jobstore_t *self, s_stmt_id_t id, const char *job_id)
{
    sqlite3_stmt *stmt = s_stmt (self, id);
    if (!stmt)
        return -1;
    return s_exec (self, stmt, s_sql[id], job_id);
}

//  End a transaction: commit when rc is not -1, roll back otherwise.
//  Returns rc, or -1 when the commit fails.
static int
s_finish (jobstore_t *self, int rc, const char *job_id)
{
    if (rc == -1) {
        s_run (self, S_ROLLBACK, job_id);
        return -1;
    }
    if (s_run (self, S_COMMIT, job_id)) {
        s_run (self, S_ROLLBACK, job_id);
        return -1;
    }
    return rc;
}

static void
s_bind_text (sqlite3_stmt *stmt, int index, const char *text)
{
    sqlite3_bind_text (stmt, index, text, -1, SQLITE_STATIC);
}

//  Column text copied to the heap, or NULL when the column is NULL. Sets
//  *failed when the copy fails.
static char *
s_column_strdup (sqlite3_stmt *stmt, int index, bool *failed)
{
    const char *text = (const char *)sqlite3_column_text (stmt, index);
    if (!text)
        return NULL;
    char *copy = strdup (text);
    if (!copy)
        *failed = true;
    return copy;
}

//  Run a pragma or schema script on a fresh handle. Returns 0 or -1.
static int
s_script (jobstore_t *self, const char *sql)
{
    char *message = NULL;
    int rc = sqlite3_exec (self->db, sql, NULL, NULL, &message);
    if (rc != SQLITE_OK) {
        log_error ("jobstore: %s: '%s' failed: %s", self->path, sql,
                   message ? message : sqlite3_errstr (rc));
        sqlite3_free (message);
        return -1;
    }
    return 0;
}

//  Read a single-integer pragma into value. Returns 0 or -1.
static int
s_pragma_int (jobstore_t *self, const char *sql, int64_t *value)
{
    sqlite3_stmt *stmt = NULL;
    int rc = sqlite3_prepare_v2 (self->db, sql, -1, &stmt, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_step (stmt);
    if (rc == SQLITE_ROW)
        *value = sqlite3_column_int64 (stmt, 0);
    else
        log_error ("jobstore: %s: '%s' failed: %s", self->path, sql,
                   sqlite3_errmsg (self->db));
    sqlite3_finalize (stmt);
    return rc == SQLITE_ROW ? 0 : -1;
}

//  Add column (declared as declaration) to table unless it has it: columns
//  added since version 2 come this way, so a database of any of them opens.
//  Returns 0 or -1 (logged).
static int
s_add_column (jobstore_t *self, const char *table, const char *column,
              const char *declaration)
{
    char *probe = zsys_sprintf ("SELECT %s FROM %s LIMIT 0", column, table);
    assert (probe);
    sqlite3_stmt *stmt = NULL;
    bool has = sqlite3_prepare_v2 (self->db, probe, -1, &stmt, NULL) ==
               SQLITE_OK;
    sqlite3_finalize (stmt);
    zstr_free (&probe);
    if (has)
        return 0;
    char *alter = zsys_sprintf ("ALTER TABLE %s ADD COLUMN %s %s", table,
                                column, declaration);
    assert (alter);
    int rc = s_script (self, alter);
    zstr_free (&alter);
    return rc;
}

//  Incremental auto-vacuum, so that jobstore_vacuum can give the pages of
//  deleted jobs back to the file system: set on a new database before its
//  tables exist; a database made without it is rebuilt once (VACUUM).
static int
s_auto_vacuum (jobstore_t *self)
{
    int64_t mode = 0;
    if (s_pragma_int (self, "PRAGMA auto_vacuum", &mode))
        return -1;
    if (mode == S_AUTO_VACUUM_INCREMENTAL)
        return 0;
    int64_t pages = 0;
    if (s_pragma_int (self, "PRAGMA page_count", &pages))
        return -1;
    if (s_script (self, "PRAGMA auto_vacuum = INCREMENTAL"))
        return -1;
    if (pages == 0)
        return 0;
    log_info ("jobstore: %s: rebuilding for incremental auto-vacuum",
              self->path);
    return s_script (self, "VACUUM");
}

//  WAL lets the other thread's handle read while this one writes;
//  synchronous=FULL makes every commit durable, which the API's 202 needs.
static int
s_configure (jobstore_t *self)
{
    sqlite3_busy_timeout (self->db, JOBSTORE_BUSY_TIMEOUT_MS);
    sqlite3_stmt *stmt = NULL;
    int rc = sqlite3_prepare_v2 (self->db, "PRAGMA journal_mode = WAL", -1,
                                 &stmt, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_step (stmt);
    const char *mode =
        rc == SQLITE_ROW ? (const char *)sqlite3_column_text (stmt, 0) : NULL;
    bool is_wal = mode && streq (mode, "wal");
    if (!is_wal)
        log_error ("jobstore: %s: cannot switch to WAL mode: %s", self->path,
                   mode ? mode : sqlite3_errmsg (self->db));
    sqlite3_finalize (stmt);
    if (!is_wal)
        return -1;
    if (s_script (self, "PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;"))
        return -1;
    if (s_auto_vacuum (self))
        return -1;

    //  Another handle may be creating the schema at the same moment: check
    //  and create under the write lock.
    if (s_script (self, "BEGIN IMMEDIATE"))
        return -1;
    int64_t version = 0;
    int result = s_pragma_int (self, "PRAGMA user_version", &version);
    if (result == 0 && version == 0) {
        result = s_script (self, s_schema);
        version = 1;
    }
    if (result == 0 && version == 1)
        result = s_script (self, s_upgrade_to_2);
    else if (result == 0 && version != S_SCHEMA_VERSION) {
        log_error ("jobstore: %s has schema version %" PRId64
                   ", this program knows %d",
                   self->path, version, S_SCHEMA_VERSION);
        result = -1;
    }
    //  The owner of each job: the name of the API token that submitted it
    //  (ventilator/tokens), NULL when the API had no tokens.
    if (result == 0)
        result = s_add_column (self, "jobs", "owner", "TEXT");
    if (result == 0)
        result = s_add_column (self, "jobs", "priority",
                               "INTEGER NOT NULL DEFAULT " S_PRIORITY_DEFAULT);
    //  For the job list (jobstore_list): newest first, all jobs or one
    //  owner's.
    if (result == 0)
        result = s_script (
            self, "CREATE INDEX IF NOT EXISTS jobs_by_created"
                  " ON jobs (created_at, id);"
                  "CREATE INDEX IF NOT EXISTS jobs_by_owner"
                  " ON jobs (owner, created_at, id);");
    if (result == 0)
        result = s_script (self, s_webhooks_schema);
    if (result == 0)
        result = s_script (self, "COMMIT");
    if (result != 0)
        s_script (self, "ROLLBACK");
    return result;
}

jobstore_t *
jobstore_open (const char *data_dir)
{
    assert (data_dir);
    if (zsys_dir_create ("%s", data_dir) != 0) {
        log_error ("jobstore: cannot create directory %s: %s", data_dir,
                   strerror (errno));
        return NULL;
    }
    jobstore_t *self = (jobstore_t *)zmalloc (sizeof (jobstore_t));
    assert (self);
    self->path = zsys_sprintf ("%s/%s", data_dir, JOBSTORE_FILENAME);
    assert (self->path);
    int rc = sqlite3_open_v2 (self->path, &self->db,
                              SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
    if (rc != SQLITE_OK) {
        log_error ("jobstore: cannot open %s: %s", self->path,
                   self->db ? sqlite3_errmsg (self->db) : sqlite3_errstr (rc));
        jobstore_destroy (&self);
        return NULL;
    }
    if (s_configure (self)) {
        jobstore_destroy (&self);
        return NULL;
    }
    return self;
}

void
jobstore_destroy (jobstore_t **self_p)
{
    assert (self_p);
    jobstore_t *self = *self_p;
    if (!self)
        return;
    for (int index = 0; index < S_STMT_COUNT; index++)
        sqlite3_finalize (self->stmts[index]);
    if (sqlite3_close (self->db) != SQLITE_OK)
        log_error ("jobstore: %s: close failed: %s", self->path,
                   sqlite3_errmsg (self->db));
    zstr_free (&self->path);
    free (self);
    *self_p = NULL;
}

static int
s_insert_transition (jobstore_t *self, const char *job_id, jobstate_t state,
                     int64_t at)
{
    sqlite3_stmt *stmt = s_stmt (self, S_INSERT_TRANSITION);
    if (!stmt)
        return -1;
    s_bind_text (stmt, 1, job_id);
    s_bind_text (stmt, 2, jobstate_name (state));
    sqlite3_bind_int64 (stmt, 3, at);
    return s_exec (self, stmt, "recording a transition", job_id);
}

//  One row per chunk: its page range and stored flag. The records are in
//  the job's records file (ventilator/recordfile); records_json is left
//  empty, and holds records only for jobs stored before there were
//  records files.
static int
s_insert_chunks (jobstore_t *self, const char *job_id, const jobspec_t *spec,
                 uint32_t chunk_count)
{
    uint32_t pages = jobspec_pages (spec);
    uint32_t chunk_pages = jobspec_chunk_pages (spec);
    for (uint32_t chunk_nbr = 0; chunk_nbr < chunk_count; chunk_nbr++) {
        uint32_t first_page, page_count;
        int rc = chunkplan_range (pages, chunk_pages, chunk_nbr, &first_page,
                                  &page_count);
        assert (rc == 0);
        sqlite3_stmt *stmt = s_stmt (self, S_INSERT_CHUNK);
        if (!stmt)
            return -1;
        s_bind_text (stmt, 1, job_id);
        sqlite3_bind_int64 (stmt, 2, chunk_nbr);
        sqlite3_bind_int64 (stmt, 3, first_page);
        sqlite3_bind_int64 (stmt, 4, page_count);
        rc = s_exec (self, stmt, "storing a chunk", job_id);
        if (rc)
            return -1;
    }
    return 0;
}

//  A webhook statement: these are rare (one row per job and attempt), so
//  they are prepared per call rather than cached. NULL (logged) when it
//  cannot be prepared. Caller finalizes.
static sqlite3_stmt *
s_hook_stmt (jobstore_t *self, const char *sql)
{
    sqlite3_stmt *stmt = NULL;
    int rc = sqlite3_prepare_v2 (self->db, sql, -1, &stmt, NULL);
    if (rc != SQLITE_OK) {
        log_error ("jobstore: %s: cannot prepare '%s': %s", self->path, sql,
                   sqlite3_errmsg (self->db));
        sqlite3_finalize (stmt);
        return NULL;
    }
    return stmt;
}

//  Run a prepared webhook statement that returns no rows, and finalize it.
static int
s_hook_exec (jobstore_t *self, sqlite3_stmt *stmt, const char *what,
             const char *job_id)
{
    int rc = s_exec (self, stmt, what, job_id);
    sqlite3_finalize (stmt);
    return rc;
}

static int
s_insert_webhook (jobstore_t *self, const char *job_id, const char *url)
{
    sqlite3_stmt *stmt = s_hook_stmt (
        self, "INSERT INTO webhooks (job_id, url) VALUES (?1, ?2)");
    if (!stmt)
        return -1;
    s_bind_text (stmt, 1, job_id);
    s_bind_text (stmt, 2, url);
    return s_hook_exec (self, stmt, "storing the webhook", job_id);
}

int
jobstore_insert (jobstore_t *self, const char *job_id, const jobspec_t *spec)
{
    return jobstore_insert_owned (self, job_id, spec, NULL);
}

int
jobstore_insert_owned (jobstore_t *self, const char *job_id,
                       const jobspec_t *spec, const char *owner)
{
    assert (self);
    assert (job_id);
    assert (spec);
    uint32_t pages = jobspec_pages (spec);
    uint32_t chunk_pages = jobspec_chunk_pages (spec);
    assert (chunk_pages > 0);
    uint32_t chunk_count = chunkplan_count (pages, chunk_pages);
    int64_t now = zclock_time ();
    char *template_json = jobspec_template_json (spec);
    char *key = output_key (jobspec_output (spec), job_id, now);
    char *filename = output_filename (jobspec_output (spec), job_id, now);
    if (!template_json || !key) {
        log_error ("jobstore: job=%s: cannot serialise the template", job_id);
        free (template_json);
        free (key);
        free (filename);
        return -1;
    }
    int rc = s_run (self, S_BEGIN_WRITE, job_id);
    if (rc) {
        free (template_json);
        free (key);
        free (filename);
        return -1;
    }
    sqlite3_stmt *stmt = s_stmt (self, S_INSERT_JOB);
    rc = stmt ? 0 : -1;
    if (rc == 0) {
        s_bind_text (stmt, 1, job_id);
        sqlite3_bind_int64 (stmt, 2, now);
        sqlite3_bind_int64 (stmt, 3, pages);
        sqlite3_bind_int64 (stmt, 4, chunk_pages);
        sqlite3_bind_int64 (stmt, 5, chunk_count);
        s_bind_text (stmt, 6, template_json);
        s_bind_text (stmt, 7, key);
        s_bind_text (stmt, 8, filename);
        sqlite3_bind_int64 (stmt, 9, jobspec_priority (spec));
        s_bind_text (stmt, 10, owner);
        rc = s_exec (self, stmt, "storing the job", job_id);
    }
    if (rc == 0)
        rc = s_insert_transition (self, job_id, JOB_QUEUED, now);
    if (rc == 0)
        rc = s_insert_chunks (self, job_id, spec, chunk_count);
    if (rc == 0 && jobspec_webhook_url (spec))
        rc = s_insert_webhook (self, job_id, jobspec_webhook_url (spec));
    free (template_json);
    free (key);
    free (filename);
    return s_finish (self, rc, job_id);
}

//  Run statement id, which selects one job's row by id (?1), and copy
//  the row's first count text columns to texts[] (heap copies, NULL for
//  NULL). Returns 0, or -1 (texts all NULL) when the job is unknown or
//  the read fails (logged, naming what was read).
static int
s_select_texts (jobstore_t *self, s_stmt_id_t id, const char *what,
                const char *job_id, char **texts[], int count)
{
    for (int index = 0; index < count; index++)
        *texts[index] = NULL;
    if (strlen (job_id) > PROTO_JOB_ID_MAX)
        return -1;
    sqlite3_stmt *stmt = s_stmt (self, id);
    if (!stmt)
        return -1;
    s_bind_text (stmt, 1, job_id);
    int rc = sqlite3_step (stmt);
    if (rc != SQLITE_ROW) {
        if (rc != SQLITE_DONE)
            log_error ("jobstore: job=%s: reading the %s failed: %s", job_id,
                       what, sqlite3_errmsg (self->db));
        s_release (stmt);
        return -1;
    }
    bool failed = false;
    for (int index = 0; index < count; index++)
        *texts[index] = s_column_strdup (stmt, index, &failed);
    s_release (stmt);
    if (failed) {
        log_error ("jobstore: job=%s: out of memory", job_id);
        for (int index = 0; index < count; index++)
            zstr_free (texts[index]);
        return -1;
    }
    return 0;
}

int
jobstore_output (jobstore_t *self, const char *job_id, char **key_p,
                 char **filename_p)
{
    assert (self);
    assert (job_id);
    assert (key_p);
    assert (filename_p);
    char **texts[] = {key_p, filename_p};
    if (s_select_texts (self, S_SELECT_OUTPUT, "output", job_id, texts, 2))
        return -1;
    if (!*key_p) {
        *key_p = zsys_sprintf ("%s.pdf", job_id);
        if (!*key_p) {
            log_error ("jobstore: job=%s: out of memory", job_id);
            zstr_free (filename_p);
            return -1;
        }
    }
    return 0;
}

int
jobstore_owner (jobstore_t *self, const char *job_id, char **owner_p)
{
    assert (self);
    assert (job_id);
    assert (owner_p);
    char **texts[] = {owner_p};
    return s_select_texts (self, S_SELECT_OWNER, "owner", job_id, texts, 1);
}

//  Read the job row into job and, when asked, its error and result
//  location (heap copies, NULL when unset). Returns 0, or -1 when unknown
//  (not logged) or the read fails (logged).
static int
s_select_job (jobstore_t *self, const char *job_id, jobstore_job_t *job,
              char **error_p, char **location_p, uint64_t *bytes_p)
{
    if (strlen (job_id) > PROTO_JOB_ID_MAX)
        return -1;
    sqlite3_stmt *stmt = s_stmt (self, S_SELECT_JOB);
    if (!stmt)
        return -1;
    s_bind_text (stmt, 1, job_id);
    int rc = sqlite3_step (stmt);
    if (rc != SQLITE_ROW) {
        if (rc != SQLITE_DONE)
            log_error ("jobstore: job=%s: reading the job failed: %s", job_id,
                       sqlite3_errmsg (self->db));
        s_release (stmt);
        return -1;
    }
    memset (job, 0, sizeof (*job));
    strcpy (job->id, job_id);
    const char *state = (const char *)sqlite3_column_text (stmt, 0);
    bool failed = jobstate_parse (state, &job->state) != 0;
    if (failed)
        log_error ("jobstore: job=%s: unknown state '%s' in the database",
                   job_id, state ? state : "");
    job->pages = (uint32_t)sqlite3_column_int64 (stmt, 1);
    job->chunk_pages = (uint32_t)sqlite3_column_int64 (stmt, 2);
    job->chunk_count = (uint32_t)sqlite3_column_int64 (stmt, 3);
    job->chunks_done = (uint32_t)sqlite3_column_int64 (stmt, 4);
    job->pages_done = (uint32_t)sqlite3_column_int64 (stmt, 5);
    job->created_at = sqlite3_column_int64 (stmt, 6);
    if (error_p)
        *error_p = s_column_strdup (stmt, 7, &failed);
    if (location_p)
        *location_p = s_column_strdup (stmt, 8, &failed);
    if (bytes_p)
        *bytes_p = (uint64_t)sqlite3_column_int64 (stmt, 9);
    job->priority = (uint32_t)sqlite3_column_int64 (stmt, 10);
    s_release (stmt);
    if (failed) {
        if (error_p)
            zstr_free (error_p);
        if (location_p)
            zstr_free (location_p);
        return -1;
    }
    return 0;
}

int
jobstore_job (jobstore_t *self, const char *job_id, jobstore_job_t *job)
{
    assert (self);
    assert (job_id);
    assert (job);
    return s_select_job (self, job_id, job, NULL, NULL, NULL);
}

//  First column of the first row of a statement keyed by job id (and chunk
//  number when chunk_nbr >= 0), as a heap string; NULL when there is none.
static char *
s_select_text (jobstore_t *self, s_stmt_id_t id, const char *job_id,
               int64_t chunk_nbr)
{
    sqlite3_stmt *stmt = s_stmt (self, id);
    if (!stmt)
        return NULL;
    s_bind_text (stmt, 1, job_id);
    if (chunk_nbr >= 0)
        sqlite3_bind_int64 (stmt, 2, chunk_nbr);
    char *text = NULL;
    int rc = sqlite3_step (stmt);
    bool failed = false;
    if (rc == SQLITE_ROW)
        text = s_column_strdup (stmt, 0, &failed);
    else if (rc != SQLITE_DONE)
        log_error ("jobstore: job=%s: '%s' failed: %s", job_id, s_sql[id],
                   sqlite3_errmsg (self->db));
    if (failed)
        log_error ("jobstore: job=%s: out of memory", job_id);
    s_release (stmt);
    return text;
}

char *
jobstore_template_json (jobstore_t *self, const char *job_id)
{
    assert (self);
    assert (job_id);
    return s_select_text (self, S_SELECT_TEMPLATE, job_id, -1);
}

char *
jobstore_chunk_records (jobstore_t *self, const char *job_id,
                        uint32_t chunk_nbr)
{
    assert (self);
    assert (job_id);
    return s_select_text (self, S_SELECT_RECORDS, job_id, chunk_nbr);
}

//  After an update that matched no row: 1 when the job exists (so it was
//  terminal), -1 when it is unknown.
static int
s_terminal_or_unknown (jobstore_t *self, const char *job_id)
{
    char *state = s_select_text (self, S_SELECT_STATE, job_id, -1);
    if (!state) {
        log_warning ("jobstore: job=%s: no such job", job_id);
        return -1;
    }
    zstr_free (&state);
    return 1;
}

int
jobstore_set_state (jobstore_t *self, const char *job_id, jobstate_t state,
                    const char *error)
{
    assert (self);
    assert (job_id);
    assert ((unsigned)state < JOBSTATE_COUNT);
    if (s_run (self, S_BEGIN_WRITE, job_id))
        return -1;
    sqlite3_stmt *stmt = s_stmt (self, S_UPDATE_STATE);
    int rc = stmt ? 0 : -1;
    if (rc == 0) {
        s_bind_text (stmt, 1, job_id);
        s_bind_text (stmt, 2, jobstate_name (state));
        //  The error is shown to the job's submitter: no server paths
        //  (the log that reported it has them).
        char shown[S_ERROR_SHOWN_MAX];
        if (error) {
            redact_paths (error, shown, sizeof (shown));
            s_bind_text (stmt, 3, shown);
        }
        rc = s_exec (self, stmt, "changing the state", job_id);
    }
    if (rc == 0 && sqlite3_changes (self->db) == 0)
        rc = s_terminal_or_unknown (self, job_id);
    else if (rc == 0)
        rc = s_insert_transition (self, job_id, state, zclock_time ());
    return s_finish (self, rc, job_id);
}

int
jobstore_chunk_stored (jobstore_t *self, const char *job_id, uint32_t chunk_nbr)
{
    assert (self);
    assert (job_id);
    if (s_run (self, S_BEGIN_WRITE, job_id))
        return -1;
    int rc = -1;
    sqlite3_stmt *stmt = s_stmt (self, S_MARK_STORED);
    if (!stmt)
        return s_finish (self, -1, job_id);
    s_bind_text (stmt, 1, job_id);
    sqlite3_bind_int64 (stmt, 2, chunk_nbr);
    int64_t page_count = -1;
    int step = sqlite3_step (stmt);
    if (step == SQLITE_ROW) {
        page_count = sqlite3_column_int64 (stmt, 0);
        step = sqlite3_step (stmt);
    }
    if (step != SQLITE_DONE)
        log_error ("jobstore: job=%s chunk=%" PRIu32 ": marking stored: %s",
                   job_id, chunk_nbr, sqlite3_errmsg (self->db));
    s_release (stmt);
    if (step != SQLITE_DONE)
        return s_finish (self, -1, job_id);

    if (page_count >= 0) {
        stmt = s_stmt (self, S_ADD_DONE);
        if (stmt) {
            s_bind_text (stmt, 1, job_id);
            sqlite3_bind_int64 (stmt, 2, page_count);
            rc = s_exec (self, stmt, "counting a stored chunk", job_id);
        }
        if (rc == 0)
            rc = 1;
    } else {
        char *found = s_select_text (self, S_SELECT_CHUNK, job_id, chunk_nbr);
        rc = found ? 0 : -1;
        if (!found)
            log_warning ("jobstore: job=%s chunk=%" PRIu32 ": no such chunk",
                         job_id, chunk_nbr);
        zstr_free (&found);
    }
    return s_finish (self, rc, job_id);
}

int
jobstore_chunks_stored (jobstore_t *self, const char *job_id, bool *stored,
                        uint32_t chunk_count)
{
    assert (self);
    assert (job_id);
    assert (stored || chunk_count == 0);
    for (uint32_t chunk_nbr = 0; chunk_nbr < chunk_count; chunk_nbr++)
        stored[chunk_nbr] = false;
    if (s_run (self, S_BEGIN_READ, job_id))
        return -1;
    jobstore_job_t job;
    int rc = s_select_job (self, job_id, &job, NULL, NULL, NULL);
    sqlite3_stmt *stmt = rc == 0 ? s_stmt (self, S_SELECT_STORED) : NULL;
    if (stmt) {
        s_bind_text (stmt, 1, job_id);
        int step = sqlite3_step (stmt);
        while (step == SQLITE_ROW) {
            int64_t chunk_nbr = sqlite3_column_int64 (stmt, 0);
            if (chunk_nbr >= 0 && chunk_nbr < chunk_count)
                stored[chunk_nbr] = true;
            step = sqlite3_step (stmt);
        }
        if (step != SQLITE_DONE) {
            log_error ("jobstore: job=%s: reading stored chunks: %s", job_id,
                       sqlite3_errmsg (self->db));
            rc = -1;
        }
        s_release (stmt);
    } else
        rc = -1;
    return s_finish (self, rc, job_id);
}

int
jobstore_set_result (jobstore_t *self, const char *job_id, const char *location,
                     uint64_t bytes)
{
    assert (self);
    assert (job_id);
    assert (location);
    if (s_run (self, S_BEGIN_WRITE, job_id))
        return -1;
    sqlite3_stmt *stmt = s_stmt (self, S_UPDATE_RESULT);
    int rc = stmt ? 0 : -1;
    if (rc == 0) {
        s_bind_text (stmt, 1, job_id);
        s_bind_text (stmt, 2, location);
        sqlite3_bind_int64 (stmt, 3, (int64_t)bytes);
        rc = s_exec (self, stmt, "recording the result", job_id);
    }
    if (rc == 0 && sqlite3_changes (self->db) == 0)
        rc = s_terminal_or_unknown (self, job_id);
    else if (rc == 0)
        rc = s_insert_transition (self, job_id, JOB_DONE, zclock_time ());
    return s_finish (self, rc, job_id);
}

int
jobstore_result (jobstore_t *self, const char *job_id, char **location_p,
                 uint64_t *bytes_p, jobstate_t *state_p)
{
    assert (self);
    assert (job_id);
    jobstore_job_t job;
    char *location = NULL;
    uint64_t bytes = 0;
    if (s_select_job (self, job_id, &job, NULL, &location, &bytes))
        return -1;
    if (location_p)
        *location_p = location;
    else
        zstr_free (&location);
    if (bytes_p)
        *bytes_p = bytes;
    if (state_p)
        *state_p = job.state;
    return 0;
}

char *
jobstore_error (jobstore_t *self, const char *job_id)
{
    assert (self);
    assert (job_id);
    jobstore_job_t job;
    char *error = NULL;
    if (s_select_job (self, job_id, &job, &error, NULL, NULL))
        return NULL;
    return error;
}

//  The ids stmt (bound) selects in its first column, as a list that frees
//  its items; NULL (logged with what) when the read fails. The statement
//  is released either way.
static zlist_t *
s_collect_ids (jobstore_t *self, sqlite3_stmt *stmt, const char *what)
{
    zlist_t *ids = zlist_new ();
    assert (ids);
    zlist_autofree (ids);
    int step = sqlite3_step (stmt);
    while (step == SQLITE_ROW) {
        const char *id = (const char *)sqlite3_column_text (stmt, 0);
        if (id)
            zlist_append (ids, (void *)id);
        step = sqlite3_step (stmt);
    }
    if (step != SQLITE_DONE) {
        log_error ("jobstore: reading %s failed: %s", what,
                   sqlite3_errmsg (self->db));
        zlist_destroy (&ids);
    }
    s_release (stmt);
    return ids;
}

zlist_t *
jobstore_list (jobstore_t *self, const char *owner, uint32_t states,
               int64_t before_created_at, const char *before_id,
               uint32_t limit)
{
    assert (self);
    sqlite3_stmt *stmt = s_stmt (self, owner ? S_LIST_OWNED : S_LIST_ALL);
    if (!stmt)
        return NULL;
    //  No cursor: after the newest job there can be. Ids are [A-Za-z0-9_-],
    //  all before '~'.
    sqlite3_bind_int64 (stmt, 1, before_id ? before_created_at : INT64_MAX);
    s_bind_text (stmt, 2, before_id ? before_id : "~");
    sqlite3_bind_int64 (stmt, 3, states);
    sqlite3_bind_int64 (stmt, 4, limit);
    if (owner)
        s_bind_text (stmt, 5, owner);
    return s_collect_ids (self, stmt, "the job list");
}

int
jobstore_recent_done (jobstore_t *self, uint32_t most, jobstore_rates_t *rates)
{
    assert (self);
    assert (rates);
    memset (rates, 0, sizeof *rates);
    sqlite3_stmt *stmt = s_stmt (self, S_RECENT_DONE);
    if (!stmt)
        return -1;
    sqlite3_bind_int64 (stmt, 1, most);
    int step = sqlite3_step (stmt);
    while (step == SQLITE_ROW) {
        int64_t ms = sqlite3_column_int64 (stmt, 2);
        rates->jobs++;
        rates->pages += (uint64_t)sqlite3_column_int64 (stmt, 0);
        rates->bytes += (uint64_t)sqlite3_column_int64 (stmt, 1);
        rates->ms += ms > 0 ? (uint64_t)ms : 0;
        step = sqlite3_step (stmt);
    }
    s_release (stmt);
    if (step != SQLITE_DONE) {
        log_error ("jobstore: reading recent jobs failed: %s",
                   sqlite3_errmsg (self->db));
        return -1;
    }
    return 0;
}

zlist_t *
jobstore_done (jobstore_t *self)
{
    assert (self);
    sqlite3_stmt *stmt = s_stmt (self, S_SELECT_DONE);
    return stmt ? s_collect_ids (self, stmt, "done jobs") : NULL;
}

zlist_t *
jobstore_active (jobstore_t *self)
{
    assert (self);
    sqlite3_stmt *stmt = s_stmt (self, S_SELECT_ACTIVE);
    return stmt ? s_collect_ids (self, stmt, "active jobs") : NULL;
}

static int
s_add_time (cJSON *object, const char *name, int64_t ms)
{
    char text[TIMESTAMP_SIZE];
    timestamp_format_ms (ms, text, sizeof (text));
    return cJSON_AddStringToObject (object, name, text) ? 0 : -1;
}

int
jobstore_transitions (jobstore_t *self, const char *job_id,
                      int64_t at[JOBSTATE_COUNT])
{
    assert (self);
    memset (at, 0, sizeof (int64_t) * JOBSTATE_COUNT);
    sqlite3_stmt *stmt = s_stmt (self, S_SELECT_TRANSITIONS);
    if (!stmt)
        return -1;
    s_bind_text (stmt, 1, job_id);
    int step = sqlite3_step (stmt);
    while (step == SQLITE_ROW) {
        jobstate_t state;
        if (jobstate_parse ((const char *)sqlite3_column_text (stmt, 0),
                            &state) == 0)
            at[state] = sqlite3_column_int64 (stmt, 1);
        step = sqlite3_step (stmt);
    }
    s_release (stmt);
    if (step != SQLITE_DONE) {
        log_error ("jobstore: job=%s: reading transitions failed: %s", job_id,
                   sqlite3_errmsg (self->db));
        return -1;
    }
    return 0;
}

int
jobstore_count_states (jobstore_t *self, uint64_t counts[JOBSTATE_COUNT])
{
    assert (self);
    memset (counts, 0, sizeof (uint64_t) * JOBSTATE_COUNT);
    sqlite3_stmt *stmt = s_stmt (self, S_COUNT_STATES);
    if (!stmt)
        return -1;
    int step = sqlite3_step (stmt);
    while (step == SQLITE_ROW) {
        jobstate_t state;
        if (jobstate_parse ((const char *)sqlite3_column_text (stmt, 0),
                            &state) == 0)
            counts[state] = (uint64_t)sqlite3_column_int64 (stmt, 1);
        step = sqlite3_step (stmt);
    }
    s_release (stmt);
    if (step != SQLITE_DONE) {
        log_error ("jobstore: counting jobs by state failed: %s",
                   sqlite3_errmsg (self->db));
        return -1;
    }
    return 0;
}

static int
s_add_transitions (jobstore_t *self, const char *job_id, cJSON *object)
{
    sqlite3_stmt *stmt = s_stmt (self, S_SELECT_TRANSITIONS);
    if (!stmt)
        return -1;
    s_bind_text (stmt, 1, job_id);
    int rc = 0;
    int step = sqlite3_step (stmt);
    while (step == SQLITE_ROW && rc == 0) {
        const char *state = (const char *)sqlite3_column_text (stmt, 0);
        rc = s_add_time (object, state ? state : "unknown",
                         sqlite3_column_int64 (stmt, 1));
        step = sqlite3_step (stmt);
    }
    if (step != SQLITE_DONE && rc == 0) {
        log_error ("jobstore: job=%s: reading transitions failed: %s", job_id,
                   sqlite3_errmsg (self->db));
        rc = -1;
    }
    s_release (stmt);
    return rc;
}

static cJSON *
s_progress (uint32_t done, uint32_t total)
{
    cJSON *progress = cJSON_CreateObject ();
    if (progress) {
        cJSON_AddNumberToObject (progress, "done", done);
        cJSON_AddNumberToObject (progress, "total", total);
    }
    return progress;
}

static void
s_add_number_or_null (cJSON *object, const char *name, bool known,
                      double value)
{
    if (known)
        cJSON_AddNumberToObject (object, name, value);
    else
        cJSON_AddNullToObject (object, name);
}

//  "progress": elapsed time, rate and time left (ventilator/jobprogress),
//  seen now. Returns 0, or -1 when the transitions cannot be read.
static int
s_add_timing (jobstore_t *self, cJSON *status, const jobstore_job_t *job)
{
    int64_t at[JOBSTATE_COUNT];
    if (jobstore_transitions (self, job->id, at))
        return -1;
    jobprogress_t progress =
        jobprogress_compute (job->state, job->created_at, at, job->pages_done,
                             job->pages, zclock_time ());
    cJSON *object = cJSON_AddObjectToObject (status, "progress");
    if (!object)
        return -1;
    cJSON_AddNumberToObject (object, "elapsed_s", progress.elapsed_s);
    s_add_number_or_null (object, "pages_per_s", progress.has_rate,
                          progress.pages_per_s);
    s_add_number_or_null (object, "eta_s", progress.has_eta, progress.eta_s);
    cJSON_AddStringToObject (object, "phase", jobstate_name (job->state));
    return 0;
}

static cJSON *
s_status (jobstore_t *self, const char *job_id)
{
    jobstore_job_t job;
    char *error = NULL;
    char *location = NULL;
    uint64_t bytes = 0;
    if (s_select_job (self, job_id, &job, &error, &location, &bytes))
        return NULL;
    cJSON *status = cJSON_CreateObject ();
    cJSON_AddStringToObject (status, "id", job.id);
    cJSON_AddStringToObject (status, "state", jobstate_name (job.state));
    cJSON_AddItemToObject (status, "pages",
                           s_progress (job.pages_done, job.pages));
    cJSON_AddItemToObject (status, "chunks",
                           s_progress (job.chunks_done, job.chunk_count));
    cJSON_AddNumberToObject (status, "priority", job.priority);
    int rc = s_add_time (status, "created_at", job.created_at);
    cJSON *transitions = cJSON_AddObjectToObject (status, "transitions");
    if (rc == 0 && transitions)
        rc = s_add_transitions (self, job_id, transitions);
    if (rc == 0)
        rc = s_add_timing (self, status, &job);
    if (error)
        cJSON_AddStringToObject (status, "error", error);
    else
        cJSON_AddNullToObject (status, "error");
    if (job.state == JOB_DONE && location) {
        cJSON *result = cJSON_AddObjectToObject (status, "result");
        char *url = zsys_sprintf ("/v1/jobs/%s/result", job.id);
        if (result && url) {
            cJSON_AddNumberToObject (result, "bytes", (double)bytes);
            cJSON_AddStringToObject (result, "url", url);
        }
        zstr_free (&url);
    } else
        cJSON_AddNullToObject (status, "result");
    zstr_free (&error);
    zstr_free (&location);
    if (rc)
        cJSON_Delete (status);
    return rc ? NULL : status;
}

char *
jobstore_status_json (jobstore_t *self, const char *job_id)
{
    assert (self);
    assert (job_id);
    //  One read transaction, so the row and its transitions agree.
    if (s_run (self, S_BEGIN_READ, job_id))
        return NULL;
    cJSON *status = s_status (self, job_id);
    s_finish (self, 0, job_id);
    if (!status)
        return NULL;
    char *text = cJSON_PrintUnformatted (status);
    cJSON_Delete (status);
    if (!text)
        log_error ("jobstore: job=%s: out of memory", job_id);
    return text;
}

zlist_t *
jobstore_expired (jobstore_t *self, int64_t ended_before, uint32_t most)
{
    assert (self);
    sqlite3_stmt *stmt = s_stmt (self, S_SELECT_EXPIRED);
    if (!stmt)
        return NULL;
    sqlite3_bind_int64 (stmt, 1, ended_before);
    sqlite3_bind_int64 (stmt, 2, most);
    return s_collect_ids (self, stmt, "ended jobs");
}

int
jobstore_delete (jobstore_t *self, const char *job_id, uint32_t chunks_max,
                 uint32_t *chunks_deleted)
{
    assert (self);
    assert (job_id);
    assert (chunks_deleted);
    *chunks_deleted = 0;
    sqlite3_stmt *chunks = s_stmt (self, S_DELETE_CHUNKS);
    sqlite3_stmt *job = s_stmt (self, S_DELETE_JOB);
    if (!chunks || !job)
        return -1;
    if (s_run (self, S_BEGIN_WRITE, job_id))
        return -1;
    s_bind_text (chunks, 1, job_id);
    sqlite3_bind_int64 (chunks, 2, chunks_max);
    int rc = s_exec (self, chunks, "deleting chunks", job_id);
    uint32_t changes = rc == 0 ? (uint32_t)sqlite3_changes (self->db) : 0;
    if (changes == chunks_max)
        rc = JOBSTORE_DELETE_MORE;
    if (rc == 0) {
        s_bind_text (job, 1, job_id);
        rc = s_exec (self, job, "deleting the job", job_id);
        if (rc == 0 && sqlite3_changes (self->db) == 0)
            rc = JOBSTORE_DELETE_NONE;
    }
    rc = s_finish (self, rc, job_id);
    if (rc != -1)
        *chunks_deleted = changes;
    return rc;
}

int
jobstore_vacuum (jobstore_t *self)
{
    assert (self);
    if (s_script (self, "PRAGMA incremental_vacuum"))
        return -1;
    //  Then move what the WAL holds into the file (which shrinks only
    //  then) and truncate the WAL. A reader on another handle can keep it
    //  from completing: that is for the next call.
    int rc = sqlite3_wal_checkpoint_v2 (self->db, NULL,
                                        SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);
    if (rc == SQLITE_BUSY)
        return 1;
    if (rc != SQLITE_OK) {
        log_error ("jobstore: %s: checkpoint failed: %s", self->path,
                   sqlite3_errmsg (self->db));
        return -1;
    }
    return 0;
}

uint64_t
jobstore_disk_bytes (const char *data_dir)
{
    assert (data_dir);
    uint64_t bytes = 0;
    const char *suffixes[] = {"", "-wal", NULL};
    for (int index = 0; suffixes[index]; index++) {
        char *path = zsys_sprintf ("%s/%s%s", data_dir, JOBSTORE_FILENAME,
                                   suffixes[index]);
        assert (path);
        struct stat info;
        if (stat (path, &info) == 0)
            bytes += (uint64_t)info.st_size;
        zstr_free (&path);
    }
    return bytes;
}

int
jobstore_webhook_due (jobstore_t *self, const char *job_id, int64_t now)
{
    assert (self);
    assert (job_id);
    sqlite3_stmt *stmt =
        s_hook_stmt (self, "UPDATE webhooks SET ended_at = ?2, next_at = ?2"
                           " WHERE job_id = ?1 AND ended_at IS NULL");
    if (!stmt)
        return -1;
    s_bind_text (stmt, 1, job_id);
    sqlite3_bind_int64 (stmt, 2, now);
    return s_hook_exec (self, stmt, "scheduling the webhook", job_id);
}

int
jobstore_webhooks_recover (jobstore_t *self, int64_t now)
{
    assert (self);
    sqlite3_stmt *stmt = s_hook_stmt (
        self, "UPDATE webhooks SET ended_at = ?1, next_at = ?1"
              " WHERE ended_at IS NULL AND job_id IN"
              " (SELECT id FROM jobs WHERE NOT " S_NOT_TERMINAL ")");
    if (!stmt)
        return -1;
    sqlite3_bind_int64 (stmt, 1, now);
    return s_hook_exec (self, stmt, "scheduling ended jobs' webhooks", NULL);
}

zlist_t *
jobstore_webhooks_due (jobstore_t *self, int64_t now, uint32_t max)
{
    assert (self);
    sqlite3_stmt *stmt = s_hook_stmt (
        self, "SELECT job_id FROM webhooks WHERE outcome = 'pending'"
              " AND next_at <= ?1 ORDER BY next_at LIMIT ?2");
    if (!stmt)
        return NULL;
    sqlite3_bind_int64 (stmt, 1, now);
    sqlite3_bind_int64 (stmt, 2, max);
    zlist_t *due = zlist_new ();
    assert (due);
    zlist_autofree (due);
    int rc;
    while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
        zlist_append (due, (void *)sqlite3_column_text (stmt, 0));
    if (rc != SQLITE_DONE) {
        log_error ("jobstore: reading due webhooks failed: %s",
                   sqlite3_errmsg (self->db));
        zlist_destroy (&due);
    }
    sqlite3_finalize (stmt);
    return due;
}

int
jobstore_webhook_begin (jobstore_t *self, const char *job_id, const char *body,
                        int64_t busy_until, jobstore_webhook_t *webhook)
{
    assert (self);
    assert (job_id);
    assert (body);
    assert (webhook);
    memset (webhook, 0, sizeof *webhook);
    sqlite3_stmt *stmt =
        s_hook_stmt (self, "UPDATE webhooks SET body = coalesce (body, ?2),"
                           " attempts = attempts + 1, next_at = ?3"
                           " WHERE job_id = ?1 AND outcome = 'pending'"
                           " RETURNING url, body, attempts, ended_at");
    if (!stmt)
        return -1;
    s_bind_text (stmt, 1, job_id);
    s_bind_text (stmt, 2, body);
    sqlite3_bind_int64 (stmt, 3, busy_until);
    int rc = sqlite3_step (stmt);
    bool failed = rc != SQLITE_ROW;
    if (rc == SQLITE_ROW) {
        webhook->url = s_column_strdup (stmt, 0, &failed);
        webhook->body = s_column_strdup (stmt, 1, &failed);
        webhook->attempts = (uint32_t)sqlite3_column_int64 (stmt, 2);
        webhook->ended_at = sqlite3_column_int64 (stmt, 3);
        rc = sqlite3_step (stmt);
    }
    if (rc != SQLITE_DONE && rc != SQLITE_ROW)
        log_error ("jobstore: job=%s: starting a webhook delivery failed: %s",
                   job_id, sqlite3_errmsg (self->db));
    sqlite3_finalize (stmt);
    if (failed || !webhook->url || !webhook->body) {
        jobstore_webhook_clear (webhook);
        return -1;
    }
    return 0;
}

void
jobstore_webhook_clear (jobstore_webhook_t *webhook)
{
    assert (webhook);
    free (webhook->url);
    free (webhook->body);
    memset (webhook, 0, sizeof *webhook);
}

int
jobstore_webhook_retry (jobstore_t *self, const char *job_id, int64_t next_at,
                        const char *error)
{
    assert (self);
    assert (job_id);
    sqlite3_stmt *stmt =
        s_hook_stmt (self, "UPDATE webhooks SET next_at = ?2, last_error = ?3"
                           " WHERE job_id = ?1 AND outcome = 'pending'");
    if (!stmt)
        return -1;
    s_bind_text (stmt, 1, job_id);
    sqlite3_bind_int64 (stmt, 2, next_at);
    s_bind_text (stmt, 3, error);
    return s_hook_exec (self, stmt, "rescheduling the webhook", job_id);
}

int
jobstore_webhook_finish (jobstore_t *self, const char *job_id, bool delivered,
                         int64_t now, const char *error)
{
    assert (self);
    assert (job_id);
    sqlite3_stmt *stmt = s_hook_stmt (
        self, "UPDATE webhooks SET outcome = ?2, finished_at = ?3,"
              " next_at = NULL, last_error = coalesce (?4, last_error)"
              " WHERE job_id = ?1 AND outcome = 'pending'");
    if (!stmt)
        return -1;
    s_bind_text (stmt, 1, job_id);
    s_bind_text (stmt, 2, delivered ? "delivered" : "gave_up");
    sqlite3_bind_int64 (stmt, 3, now);
    s_bind_text (stmt, 4, error);
    return s_hook_exec (self, stmt, "recording the webhook's outcome", job_id);
}
