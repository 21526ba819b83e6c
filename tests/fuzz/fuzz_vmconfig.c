/* SPDX-License-Identifier: MIT */
/*
 * fuzz_vmconfig: a VM definition in JSON as the REST API receives it
 * (jsonx_parse_object + vmdef_from_json). Input byte 0 picks the parse
 * flags. An accepted definition must survive to_json -> from_json and copy.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "api/jsonx.h"
#include "api/vmconfig.h"
#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    unsigned flags = data[0] & (VMDEF_STORED | VMDEF_NO_NAME | VMDEF_NO_KERNEL);
    data++, size--;
    char *text = malloc(size ? size : 1);
    if (!text)
        return 0;
    memcpy(text, data, size);

    struct err e = {0};
    json_t *j = jsonx_parse_object(text, size, &e);
    if (!j) {
        if (!e.set || !one_line(e.msg))
            abort();
        free(text);
        return 0;
    }
    struct vmdef d;
    char field[VMDEF_FIELD_MAX];
    memset(&d, 0xa5, sizeof d);
    if (vmdef_from_json(&d, j, flags, &e, field) == 0) {
        json_t *out = vmdef_to_json(&d);
        struct vmdef d2, d3;
        struct err e2 = {0};
        /* What we accepted, we must accept again (a nameless override
         * encodes as "name": "" and is not a definition of its own). */
        if (d.name[0] && (!out || vmdef_from_json(&d2, out, flags | VMDEF_STORED, &e2, field)))
            abort();
        if (d.name[0])
            vmdef_fini(&d2);
        vmdef_copy(&d3, &d);
        vmdef_fini(&d3);
        json_decref(out);
        vmdef_fini(&d);
    } else if (!e.set || strlen(field) >= VMDEF_FIELD_MAX || !one_line(e.msg)) {
        abort();
    }
    json_decref(j);
    free(text);
    return 0;
}
