/* SPDX-License-Identifier: MIT */
/*
 * routes_test: the REST API without sockets or VMs. A daemon is opened on a
 * temporary state directory (with no event loop, so it cannot run VMs) and
 * requests go straight to routes_dispatch: definitions are validated with
 * the right status and field, templates and linked clones are made (real
 * qcow2 overlays over a raw base), a template in use cannot be deleted,
 * everything survives reopening the state directory, and concurrent
 * requests for the same name let exactly one through. A VM made to look
 * running shows its devices' counters in info and /metrics.
 */
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "api/check.h"
#include "daemon/daemon.h"
#include "daemon/store.h"

static char dir[64], kernel[128], disk[128];
static struct daemon *d;

/* Dispatch; returns the status and the JSON body in *out (if non-NULL). */
static int req(const char *method, const char *path, const char *body, json_t **out)
{
    struct api_response rs;
    char p[512];
    snprintf(p, sizeof(p), "%s", path);
    char *q = strchr(p, '?');
    if (q)
        *q++ = 0;
    routes_dispatch(d, method, p, q ? q : "", body ? body : "", body ? strlen(body) : 0, &rs);
    int status = rs.status;
    if (out) {
        *out = rs.json ? json_incref(rs.json) : (rs.text ? json_string(rs.text) : NULL);
    }
    api_response_fini(&rs);
    return status;
}

static const char *err_field(json_t *j)
{
    return json_string_value(json_object_get(json_object_get(j, "error"), "field"));
}

static const char *err_msg(json_t *j)
{
    return json_string_value(json_object_get(json_object_get(j, "error"), "message"));
}

static void open_daemon(void)
{
    char sock[128];
    snprintf(sock, sizeof(sock), "%s/run/rvisord.sock", dir);
    struct daemon_config cfg = {
        .state_dir = dir, .socket_path = sock, .stop_timeout_s = 5, .rvisor_path = "/bin/false"};
    struct err e = {0};
    CHECK(daemon_open(&d, &cfg, NULL, &e) == 0);
}

static void expect_400(const char *body, const char *field, const char *msg)
{
    json_t *j;
    CHECK(req("POST", "/vms", body, &j) == 400);
    if (field)
        CHECK_STR(err_field(j), field);
    CHECK_CONTAINS(err_msg(j), msg);
    json_decref(j);
}

static void test_define_and_validation(void)
{
    char body[512];
    json_t *j;
    CHECK(req("GET", "/vms", NULL, &j) == 200);
    CHECK(json_array_size(json_object_get(j, "vms")) == 0);
    json_decref(j);

    snprintf(body, sizeof(body), "{\"name\":\"vm1\",\"kernel\":\"%s\",\"memory_mib\":128}", kernel);
    CHECK(req("POST", "/vms", body, &j) == 201);
    CHECK_STR(json_string_value(json_object_get(j, "state")), "stopped");
    json_decref(j);
    CHECK(req("POST", "/vms", body, &j) == 409);
    CHECK_CONTAINS(err_msg(j), "already exists");
    json_decref(j);

    expect_400("{\"name\":", NULL, "malformed JSON");
    expect_400("[1]", NULL, "expected a JSON object");
    expect_400("", NULL, "expected a JSON object");
    snprintf(body, sizeof(body), "{\"name\":\"v2\",\"kernel\":\"%s\",\"colour\":\"red\"}", kernel);
    expect_400(body, "colour", "unknown field");
    snprintf(body, sizeof(body), "{\"name\":\"v2\",\"kernel\":\"%s\",\"vcpus\":\"two\"}", kernel);
    expect_400(body, "vcpus", "expected an integer");
    expect_400("{\"name\":\"v2\",\"kernel\":\"/nonexistent/Image\"}", "kernel",
               "No such file or directory");
    snprintf(body, sizeof(body),
             "{\"name\":\"v2\",\"kernel\":\"%s\",\"disks\":[{\"path\":"
             "\"/nonexistent.img\"}]}",
             kernel);
    expect_400(body, "disks[0].path", "No such file");
    snprintf(body, sizeof(body), "{\"name\":\"bad/name\",\"kernel\":\"%s\"}", kernel);
    expect_400(body, "name", "not a valid name");

    /* the definition file is there, whole, and nothing else was written */
    char path[256];
    snprintf(path, sizeof(path), "%s/vms/vm1.json", dir);
    j = json_load_file(path, 0, NULL);
    CHECK(j && json_integer_value(json_object_get(j, "memory_mib")) == 128);
    json_decref(j);
    snprintf(path, sizeof(path), "%s/vms/v2.json", dir);
    CHECK(access(path, F_OK) < 0);
}

static void test_items_and_methods(void)
{
    json_t *j;
    CHECK(req("GET", "/vms/vm1", NULL, &j) == 200);
    CHECK(json_object_get(j, "definition") != NULL);
    CHECK(json_is_null(json_object_get(j, "pid")));
    json_decref(j);
    CHECK(req("GET", "/vms/nope", NULL, &j) == 404);
    CHECK_CONTAINS(err_msg(j), "nope");
    json_decref(j);
    CHECK(req("GET", "/vms/..%2f..%2fetc", NULL, NULL) == 404);
    CHECK(req("PUT", "/vms", NULL, NULL) == 405);
    CHECK(req("GET", "/nowhere", NULL, NULL) == 404);
    CHECK(req("POST", "/vms/vm1/explode", NULL, NULL) == 404);
    CHECK(req("POST", "/vms/nope/start", NULL, NULL) == 404);
    CHECK(req("POST", "/vms/vm1/stop", NULL, &j) == 409); /* not running */
    CHECK_CONTAINS(err_msg(j), "stopped");
    json_decref(j);
    CHECK(req("POST", "/vms/vm1/stop", "{\"force\":\"yes\"}", &j) == 400);
    CHECK_STR(err_field(j), "force");
    json_decref(j);
    CHECK(req("POST", "/vms/vm1/stop", "{\"timeout_s\":0}", &j) == 400);
    CHECK_STR(err_field(j), "timeout_s");
    json_decref(j);
    CHECK(req("POST", "/vms/vm1/pause", "{\"x\":1}", &j) == 400);
    CHECK_STR(err_field(j), "x");
    json_decref(j);
    CHECK(req("POST", "/vms/vm1/pause", NULL, NULL) == 409);
    CHECK(req("POST", "/vms/vm1/resume", NULL, NULL) == 409);
    CHECK(req("GET", "/version", NULL, NULL) == 200);
    CHECK(req("GET", "/host", NULL, NULL) == 200);
}

static void test_events_and_metrics(void)
{
    json_t *j;
    CHECK(req("GET", "/events?since=abc", NULL, &j) == 400);
    CHECK_STR(err_field(j), "since");
    json_decref(j);
    CHECK(req("GET", "/events?limit=0", NULL, NULL) == 400);
    CHECK(req("GET", "/events?vm=a/b", NULL, NULL) == 400);
    CHECK(req("GET", "/events?vm=vm1", NULL, &j) == 200);
    json_t *evs = json_object_get(j, "events");
    CHECK(json_array_size(evs) >= 1);
    CHECK_STR(json_string_value(json_object_get(json_array_get(evs, 0), "type")), "defined");
    json_decref(j);
    CHECK(req("GET", "/metrics", NULL, &j) == 200);
    CHECK_CONTAINS(json_string_value(j), "rvisor_vm_up{vm=\"vm1\"} 0");
    CHECK_CONTAINS(json_string_value(j), "# TYPE rvisor_vm_cpu_seconds_total counter");
    CHECK_CONTAINS(json_string_value(j), "rvisor_host_memory_total_bytes ");
    json_decref(j);
}

/* A VM that looks running, with a status as its VM process would send it:
 * the info views sum the devices, /metrics has one sample per device, and
 * guest reboots become events once each. */
static void test_device_counters(void)
{
    struct ctl_status st = {.pid = (int)getpid(), .has_devices = true, .ndisks = 2, .nnics = 1};
    snprintf(st.name, sizeof(st.name), "vm1");
    snprintf(st.state, sizeof(st.state), "running");
    st.disks[0] = (struct ctl_disk_stats){"vda", 10, 2, 40960, 8192, 1, 0};
    st.disks[1] = (struct ctl_disk_stats){"vdb", 5, 7, 2048, 1 << 20, 3, 1};
    st.nics[0] = (struct ctl_nic_stats){"net0", "user", 11, 12000, 13, 1400, 2, 1};
    st.guest_reboots = 1;
    uint64_t seq0;
    pthread_mutex_lock(&d->lock);
    struct dvm *vm = dvm_find(d, "vm1");
    vm->pid = getpid();
    vm->state = DVM_RUNNING;
    seq0 = events_last_seq(d);
    dvm_note_status(d, vm, &st);
    dvm_note_status(d, vm, &st); /* the same total again: no second event */
    st.pid = 1;                  /* from another process: ignored */
    st.guest_reboots = 9;
    dvm_note_status(d, vm, &st);
    CHECK(events_last_seq(d) == seq0 + 1);
    pthread_mutex_unlock(&d->lock);

    json_t *j;
    CHECK(req("GET", "/vms/vm1", NULL, &j) == 200);
    json_t *disk = json_object_get(j, "disk_io"), *net = json_object_get(j, "net_io");
    CHECK(json_integer_value(json_object_get(disk, "read_bytes")) == 40960 + 2048);
    CHECK(json_integer_value(json_object_get(disk, "write_requests")) == 9);
    CHECK(json_integer_value(json_object_get(disk, "errors")) == 1);
    CHECK(json_array_size(json_object_get(disk, "devices")) == 2);
    CHECK_STR(json_string_value(
                  json_object_get(json_array_get(json_object_get(disk, "devices"), 1), "device")),
              "vdb");
    CHECK(json_integer_value(json_object_get(j, "disk_write_bytes")) == 8192 + (1 << 20));
    CHECK(json_integer_value(json_object_get(j, "net_rx_bytes")) == 12000);
    CHECK(json_integer_value(json_object_get(j, "net_tx_bytes")) == 1400);
    CHECK(json_integer_value(json_object_get(net, "rx_dropped")) == 2);
    CHECK(json_integer_value(json_object_get(j, "guest_reboots")) == 1);
    json_decref(j);
    CHECK(req("GET", "/events?vm=vm1", NULL, &j) == 200);
    json_t *evs = json_object_get(j, "events");
    json_t *last = json_array_get(evs, json_array_size(evs) - 1);
    CHECK_STR(json_string_value(json_object_get(last, "type")), "rebooted");
    CHECK_CONTAINS(json_string_value(json_object_get(last, "message")), "guest rebooted itself");
    json_decref(j);
    CHECK(req("GET", "/metrics", NULL, &j) == 200);
    const char *m = json_string_value(j);
    CHECK_CONTAINS(m, "# TYPE rvisor_vm_disk_read_bytes_total counter");
    CHECK_CONTAINS(m, "rvisor_vm_disk_read_bytes_total{vm=\"vm1\",device=\"vda\"} 40960\n");
    CHECK_CONTAINS(m, "rvisor_vm_disk_write_bytes_total{vm=\"vm1\",device=\"vdb\"} 1048576\n");
    CHECK_CONTAINS(m, "rvisor_vm_disk_errors_total{vm=\"vm1\",device=\"vdb\"} 1\n");
    CHECK_CONTAINS(m, "rvisor_vm_net_rx_packets_total{vm=\"vm1\",device=\"net0\"} 11\n");
    CHECK_CONTAINS(m, "rvisor_vm_net_tx_dropped_total{vm=\"vm1\",device=\"net0\"} 1\n");
    CHECK_CONTAINS(m, "rvisor_vm_reboots_total{vm=\"vm1\"} 1\n");
    json_decref(j);

    /* stopped again: the counters go (null), not stale figures */
    pthread_mutex_lock(&d->lock);
    vm->pid = 0;
    vm->state = DVM_STOPPED;
    vm->status_valid = false;
    pthread_mutex_unlock(&d->lock);
    CHECK(req("GET", "/vms/vm1", NULL, &j) == 200);
    CHECK(json_is_null(json_object_get(j, "disk_io")));
    CHECK(json_is_null(json_object_get(j, "net_rx_bytes")));
    json_decref(j);
    CHECK(req("GET", "/metrics", NULL, &j) == 200);
    CHECK(!strstr(json_string_value(j), "device=\"vda\""));
    json_decref(j);
}

static void test_templates_and_clones(void)
{
    char body[512];
    json_t *j;
    snprintf(body, sizeof(body),
             "{\"name\":\"base\",\"kernel\":\"%s\",\"cmdline\":\"root=/dev/vda\","
             "\"disks\":[{\"path\":\"%s\"}]}",
             kernel, disk);
    CHECK(req("POST", "/templates", body, &j) == 201);
    const char *copied =
        json_string_value(json_object_get(json_array_get(json_object_get(j, "disks"), 0), "path"));
    CHECK(copied && strstr(copied, "/templates/base/disk0.raw"));
    struct stat st;
    CHECK(copied && stat(copied, &st) == 0 && (st.st_mode & 0777) == 0444);
    json_decref(j);
    CHECK(req("POST", "/templates", body, NULL) == 409);
    CHECK(req("POST", "/templates", "{\"name\":\"t2\",\"from_vm\":\"nope\"}", NULL) == 404);
    CHECK(req("POST", "/templates", "{\"name\":\"t2\",\"from_vm\":\"vm1\"}", &j) == 201);
    CHECK(json_integer_value(json_object_get(j, "memory_mib")) == 128); /* vm1's */
    json_decref(j);
    CHECK(req("DELETE", "/templates/t2", NULL, NULL) == 200);
    CHECK(req("POST", "/templates", "{\"name\":\"t2\",\"from_vm\":\"vm1\",\"x\":1}", &j) == 400);
    CHECK_STR(err_field(j), "x");
    json_decref(j);

    CHECK(req("POST", "/templates/base/clone", "{\"name\":\"c1\",\"memory_mib\":64}", &j) == 201);
    CHECK_STR(json_string_value(json_object_get(j, "template")), "base");
    CHECK(json_integer_value(json_object_get(j, "memory_mib")) == 64);
    json_decref(j);
    CHECK(req("POST", "/templates/base/clone", "{\"name\":\"c2\"}", NULL) == 201);
    CHECK(req("POST", "/templates/base/clone", "{\"name\":\"c2\"}", NULL) == 409);
    CHECK(req("POST", "/templates/base/clone", "{\"name\":\"c3\",\"kernel\":\"/x\"}", &j) == 400);
    CHECK_STR(err_field(j), "kernel");
    json_decref(j);
    CHECK(req("POST", "/templates/base/clone", "{\"name\":\"c3\",\"vcpus\":99}", &j) == 400);
    CHECK_STR(err_field(j), "vcpus");
    json_decref(j);
    CHECK(req("POST", "/templates/none/clone", "{\"name\":\"c3\"}", NULL) == 404);

    /* the clone's disk is a qcow2 overlay of the template's */
    CHECK(req("GET", "/vms/c1", NULL, &j) == 200);
    json_t *dk = json_array_get(json_object_get(json_object_get(j, "definition"), "disks"), 0);
    const char *ov = json_string_value(json_object_get(dk, "path"));
    CHECK_STR(json_string_value(json_object_get(dk, "format")), "qcow2");
    char magic[4] = {0};
    int fd = ov ? open(ov, O_RDONLY) : -1;
    CHECK(fd >= 0 && read(fd, magic, 4) == 4 && !memcmp(magic, "QFI\xfb", 4));
    if (fd >= 0)
        close(fd);
    CHECK(ov && stat(ov, &st) == 0 && st.st_size < (1 << 20));
    json_decref(j);

    CHECK(req("DELETE", "/templates/base", NULL, &j) == 409);
    CHECK_CONTAINS(err_msg(j), "c1");
    json_decref(j);
    CHECK(req("GET", "/templates/base", NULL, &j) == 200);
    CHECK(json_array_size(json_object_get(j, "clones")) == 2);
    json_decref(j);
}

/* A template's NICs go to its clones, without the template's MACs (the VM
 * process derives a clone's own from its name). */
static void test_template_nics(void)
{
    char body[512];
    json_t *j;
    snprintf(body, sizeof(body),
             "{\"name\":\"netbase\",\"kernel\":\"%s\",\"nics\":[{\"type\":\"user\","
             "\"mac\":\"52:54:00:aa:bb:cc\"},{\"type\":\"tap\",\"ifname\":\"tap9\"}]}",
             kernel);
    CHECK(req("POST", "/templates", body, &j) == 201);
    json_t *nics = json_object_get(j, "nics");
    CHECK(json_array_size(nics) == 2);
    CHECK_STR(json_string_value(json_object_get(json_array_get(nics, 0), "mac")),
              "52:54:00:aa:bb:cc");
    json_decref(j);
    CHECK(req("POST", "/templates/netbase/clone", "{\"name\":\"n1\"}", NULL) == 201);
    CHECK(req("GET", "/vms/n1", NULL, &j) == 200);
    nics = json_object_get(json_object_get(j, "definition"), "nics");
    CHECK(json_array_size(nics) == 2);
    json_t *n0 = json_array_get(nics, 0), *n1 = json_array_get(nics, 1);
    CHECK_STR(json_string_value(json_object_get(n0, "type")), "user");
    CHECK(json_object_get(n0, "mac") == NULL);
    CHECK_STR(json_string_value(json_object_get(n1, "type")), "tap");
    CHECK_STR(json_string_value(json_object_get(n1, "ifname")), "tap9");
    CHECK(json_object_get(n1, "mac") == NULL);
    json_decref(j);
    /* the template keeps its own */
    CHECK(req("GET", "/templates/netbase", NULL, &j) == 200);
    CHECK_STR(
        json_string_value(json_object_get(json_array_get(json_object_get(j, "nics"), 0), "mac")),
        "52:54:00:aa:bb:cc");
    json_decref(j);
    CHECK(req("DELETE", "/vms/n1", NULL, NULL) == 200);
    CHECK(req("DELETE", "/templates/netbase", NULL, NULL) == 200);
}

struct race {
    int status;
};

static void *define_same(void *arg)
{
    struct race *r = arg;
    char body[512];
    snprintf(body, sizeof(body), "{\"name\":\"racer\",\"kernel\":\"%s\"}", kernel);
    r->status = req("POST", "/vms", body, NULL);
    return NULL;
}

static void *clone_same(void *arg)
{
    struct race *r = arg;
    r->status = req("POST", "/templates/base/clone", "{\"name\":\"twin\"}", NULL);
    return NULL;
}

static void race(void *(*fn)(void *))
{
    enum { N = 8 };
    pthread_t t[N];
    struct race r[N];
    for (int i = 0; i < N; i++)
        pthread_create(&t[i], NULL, fn, &r[i]);
    int created = 0, conflicts = 0;
    for (int i = 0; i < N; i++) {
        pthread_join(t[i], NULL);
        created += r[i].status == 201;
        conflicts += r[i].status == 409;
    }
    CHECK(created == 1 && conflicts == N - 1);
}

static void test_concurrency(void)
{
    race(define_same);
    race(clone_same);
}

static void test_persistence(void)
{
    daemon_close(d);
    open_daemon();
    json_t *j;
    CHECK(req("GET", "/vms", NULL, &j) == 200);
    CHECK(json_array_size(json_object_get(j, "vms")) == 5); /* vm1 c1 c2 racer twin */
    json_decref(j);
    CHECK(req("GET", "/vms/c1", NULL, &j) == 200);
    CHECK_STR(json_string_value(json_object_get(j, "template")), "base");
    json_decref(j);
    /* numbering of events continues */
    CHECK(req("GET", "/events?limit=1", NULL, &j) == 200);
    CHECK(json_integer_value(json_object_get(j, "last_seq")) > 5);
    json_decref(j);

    char clone_dir[256];
    snprintf(clone_dir, sizeof(clone_dir), "%s/vms/c1", dir);
    CHECK(req("DELETE", "/vms/c1", NULL, NULL) == 200);
    CHECK(access(clone_dir, F_OK) < 0); /* its overlay went with it */
    CHECK(req("DELETE", "/vms/c1", NULL, NULL) == 404);
    CHECK(req("DELETE", "/vms/c2", NULL, NULL) == 200);
    CHECK(req("DELETE", "/templates/base", NULL, NULL) == 409); /* twin */
    CHECK(req("DELETE", "/vms/twin", NULL, NULL) == 200);
    CHECK(req("DELETE", "/templates/base", NULL, NULL) == 200);
    CHECK(req("GET", "/templates/base", NULL, NULL) == 404);
}

int main(void)
{
    strcpy(dir, "/tmp/routes_test.XXXXXX");
    if (!mkdtemp(dir))
        return 1;
    /* a "kernel" and a raw disk: routes only check that the files exist */
    snprintf(kernel, sizeof(kernel), "%s/Image", dir);
    snprintf(disk, sizeof(disk), "%s/disk.raw", dir);
    int fd = open(kernel, O_CREAT | O_WRONLY, 0644);
    close(fd);
    fd = open(disk, O_CREAT | O_WRONLY, 0644);
    if (fd < 0 || ftruncate(fd, 16 << 20) < 0)
        return 1;
    close(fd);
    open_daemon();
    test_define_and_validation();
    test_items_and_methods();
    test_events_and_metrics();
    test_device_counters();
    test_templates_and_clones();
    test_template_nics();
    test_concurrency();
    test_persistence();
    daemon_close(d);
    store_remove_tree(dir);
    return check_report();
}
