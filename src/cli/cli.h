/* SPDX-License-Identifier: MIT */
/*
 * cli: what rvctl's command files share: the global options, the command
 * signature, the API call helper with its one-line error convention, and
 * argument parsing helpers (tested in args_test.c).
 *
 * Every command is `int cmd_NAME(struct cli *c, int argc, char **argv)`,
 * argv[0] being the command name; it parses its own options (each knows
 * -h/--help), and returns the exit status: 0, 1 on failure (after printing
 * "rvctl: <one line>" on stderr), 2 on bad usage.
 *
 * Threads: rvctl is single-threaded.
 */
#ifndef RV_CLI_CLI_H
#define RV_CLI_CLI_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "util/err.h"

struct cli {
    const char *socket_path;
    bool json; /* --json: print the API's JSON instead of tables */
};

typedef int (*cli_cmd_fn)(struct cli *c, int argc, char **argv);

/* Call the API: METHOD PATH with an optional JSON body (reference kept by
 * the caller). On a 2xx answer returns 0 with *out (may be NULL) set to the
 * body (caller json_decref's it). Otherwise prints "rvctl: <message>" and
 * returns 1. */
int cli_call(struct cli *c, const char *method, const char *path, json_t *body, json_t **out);

/* POST `body` (a definition with "name"; the reference is taken) to `path`
 * (/vms, or a template's /clone); with `start`, start the new VM too.
 * 0 with *res set to the last answer, else 1 (after the message). */
int cli_make_vm(struct cli *c, const char *path, json_t *body, bool start, json_t **res);

/* METHOD PATH (no body), then print the answer: as JSON with --json, else
 * with `show(answer, arg)`. 0, or 1 on failure (after the message). */
int cli_show(struct cli *c, const char *method, const char *path,
             void (*show)(const json_t *res, const void *arg), const void *arg);

/* Print `j` as indented JSON on stdout. */
void cli_print_json(const json_t *j);

/* "rvctl: <msg>" on stderr; returns `status` (for `return cli_fail(...)`). */
int cli_fail(int status, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Usage handling: print `usage` to stdout for -h/--help (returns 0), or the
 * error and a hint to stderr (returns 2). */
int cli_usage(const char *usage, const char *cmd, const char *msg, const char *arg);

/* ---- argument helpers (args.c) ---------------------------------------- */

/* "256M", "1G", "512" (MiB) -> MiB; the size must be whole MiB. 0 or -EINVAL. */
int cli_parse_mem_mib(const char *s, int64_t *out);
/* Absolute form of a path given on the command line (relative to the cwd;
 * symlinks resolved when the file exists). malloc'ed. */
char *cli_abspath(const char *path);
/* --disk PATH[,format=raw|qcow2|auto][,readonly=on|off] -> {"path", ...}
 * (a ',' in PATH is written ',,'). NULL with `e` on a bad spec. */
json_t *cli_parse_disk(const char *spec, struct err *e);
/* --nic user | tap,ifname=NAME [,mac=MAC] -> {"type", ...}. */
json_t *cli_parse_nic(const char *spec, struct err *e);
/* The options that set definition fields, shared by define/create,
 * template create and clone: getopt_long codes, and entries for their
 * `struct option` tables (<getopt.h>): the files (--kernel, --initrd,
 * --disk, --nic) and the settings (--cmdline, --mem, --cpus, --autostart,
 * --restart). */
enum {
    CLI_O_KERNEL = 0x100,
    CLI_O_INITRD,
    CLI_O_DISK,
    CLI_O_NIC,
    CLI_O_CMDLINE,
    CLI_O_MEM,
    CLI_O_CPUS,
    CLI_O_AUTOSTART,
    CLI_O_RESTART
};
#define CLI_OPTS_FILES                                                                             \
    {"kernel", required_argument, NULL, CLI_O_KERNEL},                                             \
        {"initrd", required_argument, NULL, CLI_O_INITRD},                                         \
        {"disk", required_argument, NULL, CLI_O_DISK},                                             \
    {                                                                                              \
        "nic", required_argument, NULL, CLI_O_NIC                                                  \
    }
#define CLI_OPTS_SETTINGS                                                                          \
    {"cmdline", required_argument, NULL, CLI_O_CMDLINE},                                           \
        {"mem", required_argument, NULL, CLI_O_MEM},                                               \
        {"cpus", required_argument, NULL, CLI_O_CPUS},                                             \
        {"autostart", no_argument, NULL, CLI_O_AUTOSTART},                                         \
    {                                                                                              \
        "restart", required_argument, NULL, CLI_O_RESTART                                          \
    }
/* If `ch` is one of those options, set its field in `def` from `arg` and
 * return true; a bad value is reported (usage error of `cmd`, see
 * cli_usage) and sets *status to 2. False for any other `ch`. */
bool cli_def_option(json_t *def, int ch, const char *arg, const char *usage, const char *cmd,
                    int *status);
/* PREFIX/NAME/SUFFIX with NAME %-encoded (so any argument makes a valid
 * request line; rvisord then says the name is unknown). */
void cli_path(char *out, size_t size, const char *prefix, const char *name, const char *suffix);

/* ---- human output (table.c) -------------------------------------------- */

struct table;
struct table *table_new(int ncols, const char *const *headers);
/* Add a row of `ncols` strings (copied). */
void table_add(struct table *t, const char *const *cells);
/* Print with columns padded to their widest cell; free the table. */
void table_print(struct table *t, FILE *f);
/* "1.5 GiB", "256 MiB", "12 KiB", "0 B". */
void fmt_bytes(char *out, size_t size, double bytes);
/* At most 5 characters, for narrow columns: "0", "512B", "9.5K", "120K",
 * "1.5M", "2.0G" (K = 1024). */
void fmt_bytes_short(char *out, size_t size, double bytes);
/* "3d4h", "2h05m", "4m07s", "12s". */
void fmt_duration(char *out, size_t size, double seconds);
/* GET `path` and print it: as JSON with --json, else a table of `ncols`
 * columns, one row (`row`) per item of its array `key`. 0, or 1 on failure. */
int cli_list(struct cli *c, const char *path, const char *key, int ncols,
             const char *const *headers, void (*row)(struct table *t, const json_t *item));
/* `fmt` of a JSON number, or "-" when it is not one (null: not running). */
void fmt_or_dash(char *out, size_t size, const json_t *v, void (*fmt)(char *, size_t, double));
/* One row of the VM table (list, top): NAME STATE VCPUS MEMORY CPU% RSS UPTIME TEMPLATE. */
void cli_vm_row(struct table *t, const json_t *vm);

/* ---- commands --------------------------------------------------------- */

int cmd_list(struct cli *c, int argc, char **argv);
int cmd_info(struct cli *c, int argc, char **argv);
int cmd_define(struct cli *c, int argc, char **argv);
int cmd_create(struct cli *c, int argc, char **argv);
int cmd_undefine(struct cli *c, int argc, char **argv);
int cmd_start(struct cli *c, int argc, char **argv);
int cmd_stop(struct cli *c, int argc, char **argv);
int cmd_reboot(struct cli *c, int argc, char **argv);
int cmd_pause(struct cli *c, int argc, char **argv);
int cmd_resume(struct cli *c, int argc, char **argv);
int cmd_where(struct cli *c, int argc, char **argv);
int cmd_clone(struct cli *c, int argc, char **argv);
int cmd_template(struct cli *c, int argc, char **argv);
int cmd_console(struct cli *c, int argc, char **argv);
int cmd_top(struct cli *c, int argc, char **argv);
int cmd_events(struct cli *c, int argc, char **argv);

#endif
